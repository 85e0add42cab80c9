/**
 * What a plugin sees. A plugin is an npm package whose package.json carries an `nxsw` manifest
 * (validated against plugin-schema.json) and whose entry module's default export is an NxswPlugin.
 */
import type { DependencyContainer } from 'tsyringe';
import type { ExtensionBase, ExtensionKind } from './extensions.js';

/** The plugin API version of this kernel; manifests declare the semver range they support. */
export const PLUGIN_API_VERSION = '1.0.0';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/** a logger that drops everything (the default where none is given) */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export interface ExtensionLookup {
  /** every extension of a kind, from all loaded plugins */
  list<T extends ExtensionBase>(kind: ExtensionKind): T[];
  /** one extension by kind and name (datasource names are case-sensitive like the XML) */
  find<T extends ExtensionBase>(kind: ExtensionKind, name: string): T | undefined;
}

export interface PluginContext {
  readonly plugin: { readonly name: string; readonly version: string; readonly dir: string };
  /** the plugin's options, already validated against its manifest's options schema */
  readonly options: Readonly<Record<string, unknown>>;
  /** the kernel's container (a child container per plugin); extension tokens resolve here */
  readonly container: DependencyContainer;
  /** registers an extension; it must be one the manifest declares */
  provide(extension: ExtensionBase): void;
  /** extensions of all plugins, to be looked up when used (not while registering) */
  readonly extensions: ExtensionLookup;
  readonly log: Logger;
}

export interface NxswPlugin {
  register(ctx: PluginContext): void | Promise<void>;
}

/** Identity helper that gives a plugin's entry module its type. */
export function definePlugin(plugin: NxswPlugin): NxswPlugin {
  return plugin;
}

/** The `nxsw` key of a plugin's package.json. */
export interface PluginManifest {
  /** semver range of the kernel plugin API the plugin supports, e.g. "^1.0.0" */
  readonly api: string;
  /** entry module, relative to the package directory */
  readonly entry: string;
  readonly provides: ReadonlyArray<{ readonly kind: ExtensionKind; readonly name: string }>;
  /** JSON Schema of the plugin's options (draft 2020-12 or 07) */
  readonly options?: Record<string, unknown>;
  readonly description?: string;
  /**
   * Among plugins that provide the same extension, the one with the higher precedence serves it
   * unless the configuration chooses (default 0). A plugin that fails to load gives way to the next.
   */
  readonly precedence?: number;
}
