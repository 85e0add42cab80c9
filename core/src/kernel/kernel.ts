/**
 * The kernel: a tsyringe container, the plugin loader and the extension registry. It discovers
 * plugin packages, refuses those that do not fit (with a reason that names the plugin and says
 * what to do), loads the rest, and keeps each extension under its kind's injection token.
 */
import 'reflect-metadata';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { join, dirname } from 'node:path';
import { extensionToken, type ExtensionBase, type ExtensionKind } from '../api/extensions.js';
import type { ExtensionLookup, Logger, NxswPlugin, PluginContext } from '../api/plugin.js';
import { PLUGIN_API_VERSION, silentLogger } from '../api/plugin.js';
import { DEFAULT_LIMITS, type InputLimits } from '../api/limits.js';
import { rateLimitedLogger } from './log.js';
import { readPluginPackage, apiMismatch, validateOptions, ManifestError, type PluginPackage } from './manifest.js';
import { discoverInstalled, resolveExplicit, type Candidate } from './discovery.js';
import { STANDARD_TAGS } from '../engine/tags.js';
import { SessionRegistry } from '../engine/sessions.js';

/** the provider name of the extensions the kernel itself registers (the standard tags) */
export const BUILT_IN = '@nxsw/core (built in)';

export interface KernelOptions {
  /** working directory for explicit specs and discovery (default process.cwd()) */
  readonly cwd?: string;
  /** look for plugins in node_modules beside the kernel and the working directory (default true) */
  readonly discoverInstalled?: boolean;
  /** plugins named explicitly: directory paths or package names */
  readonly plugins?: readonly string[];
  /** conflict choices: "kind:name" → plugin package name */
  readonly choose?: Readonly<Record<string, string>>;
  /** per-plugin options by package name */
  readonly pluginOptions?: Readonly<Record<string, unknown>>;
  /** package names not to load */
  readonly disable?: readonly string[];
  /**
   * The extension kinds the caller needs (reading a file back needs `sink`): a plugin whose
   * manifest provides none of them is not imported, only listed as skipped. A plugin that
   * provides only kinds other plugins define (an extra `sql-driver`) is loaded all the same: the
   * kernel cannot tell whether a plugin that is loaded uses it. Default: every plugin is loaded.
   */
  readonly kinds?: readonly ExtensionKind[];
  readonly log?: Logger;
  /** bounds on client input, for every front end and command (default DEFAULT_LIMITS) */
  readonly limits?: InputLimits;
}

export type PluginState = 'loaded' | 'refused' | 'disabled' | 'skipped';

export interface PluginStatus {
  readonly name: string;
  readonly version: string;
  readonly api: string;
  readonly provides: ReadonlyArray<{ kind: string; name: string }>;
  readonly dir: string;
  readonly origin: 'installed' | 'explicit';
  readonly status: PluginState;
  readonly reason?: string;
}

interface Registered {
  readonly extension: ExtensionBase;
  readonly plugin: string;
}


const limitedStderr = rateLimitedLogger({
  debug: (m) => console.error(`debug: ${m}`),
  info: (m) => console.error(m),
  warn: (m) => console.error(`warning: ${m}`),
  error: (m) => console.error(`error: ${m}`),
});

/**
 * the command line's log: stderr, repeated lines counted rather than printed; debug lines only
 * with NXSW_DEBUG, and without it they skip the repeat counting too (a Tango device logs one for
 * every command, every Record included)
 */
export const stderrLogger: Logger = {
  ...limitedStderr,
  debug: (m) => { if (process.env.NXSW_DEBUG) limitedStderr.debug(m); },
};

const kernelDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export class Kernel implements ExtensionLookup {
  readonly container: DependencyContainer;
  readonly plugins: PluginStatus[] = [];
  readonly apiVersion = PLUGIN_API_VERSION;
  readonly log: Logger;
  /** the writer sessions of this process, for front ends that show them */
  readonly sessions = new SessionRegistry();
  private readonly registry = new Map<string, Map<string, Registered>>();

  /** `limits`: bounds on client input (the server configuration's "limits", --limit) */
  private constructor(log: Logger, readonly limits: InputLimits = DEFAULT_LIMITS) {
    this.container = rootContainer.createChildContainer();
    this.log = log;
    // the standard tags are tag handlers like a plugin's, so a plugin can add or replace one
    for (const t of STANDARD_TAGS) this.add(t, BUILT_IN);
  }

  /** Discovers and loads plugins. Never throws for a bad plugin: it is refused and reported. */
  static async start(options: KernelOptions = {}): Promise<Kernel> {
    const kernel = new Kernel(options.log ?? silentLogger, options.limits);
    await kernel.load(options);
    return kernel;
  }

  /** Registers extensions directly, without a plugin package (tests and embedding). */
  static withExtensions(extensions: ExtensionBase[], log: Logger = silentLogger, limits?: InputLimits): Kernel {
    const kernel = new Kernel(log, limits);
    for (const e of extensions) kernel.add(e, '(built in)');
    return kernel;
  }

  list<T extends ExtensionBase>(kind: ExtensionKind): T[] {
    return [...(this.registry.get(kind)?.values() ?? [])].map((r) => r.extension as T);
  }

  find<T extends ExtensionBase>(kind: ExtensionKind, name: string): T | undefined {
    return this.registry.get(kind)?.get(name)?.extension as T | undefined;
  }

  /** which plugin provides an extension (for error messages) */
  providerOf(kind: ExtensionKind, name: string): string | undefined {
    return this.registry.get(kind)?.get(name)?.plugin;
  }

  names(kind: ExtensionKind): string[] {
    return [...(this.registry.get(kind)?.keys() ?? [])];
  }

  /** Releases what extensions hold (pools, connections). */
  async stop(): Promise<void> {
    for (const byName of this.registry.values()) {
      for (const { extension } of byName.values()) {
        const d = (extension as { dispose?: () => Promise<void> }).dispose;
        if (d) await d.call(extension).catch((e: unknown) => this.log.warn(`${extension.kind} ${extension.name}: dispose failed: ${String(e)}`));
      }
    }
  }

  private add(extension: ExtensionBase, plugin: string): void {
    let byName = this.registry.get(extension.kind);
    if (!byName) this.registry.set(extension.kind, (byName = new Map()));
    const prior = byName.get(extension.name);
    if (prior) this.log.info(`${plugin} replaces the ${prior.plugin} ${extension.kind} ${extension.name}`);
    byName.set(extension.name, { extension, plugin });
    this.container.register(extensionToken(extension.kind), { useValue: extension });
  }

  private async load(options: KernelOptions): Promise<void> {
    const cwd = options.cwd ?? process.cwd();
    const candidates: Candidate[] = [];
    const explicitErrors: PluginStatus[] = [];
    const specs = [...(options.plugins ?? [])];
    for (const spec of specs) {
      try {
        candidates.push(resolveExplicit(spec, cwd));
      } catch (e) {
        explicitErrors.push({ name: spec, version: '', api: '', provides: [], dir: '', origin: 'explicit', status: 'refused', reason: (e as Error).message });
      }
    }
    if (options.discoverInstalled !== false) candidates.push(...discoverInstalled([kernelDir, cwd]));

    // one package directory once, explicit first
    const seen = new Set<string>();
    const unique = candidates.filter((c) => (seen.has(c.dir) ? false : (seen.add(c.dir), true)));

    const valid: Array<{ pkg: PluginPackage; origin: Candidate['origin'] }> = [];
    const seenNames = new Map<string, string>();
    for (const c of unique) {
      let pkg: PluginPackage;
      try {
        pkg = readPluginPackage(c.dir);
      } catch (e) {
        if (!(e instanceof ManifestError)) throw e;
        this.refuse({ dir: c.dir, origin: c.origin, name: nameFromDir(c.dir) }, e.message);
        continue;
      }
      const status = { dir: c.dir, origin: c.origin, name: pkg.name, version: pkg.version, api: pkg.manifest.api, provides: pkg.manifest.provides };
      const prior = seenNames.get(pkg.name);
      if (prior) {
        this.refuse(status, `another copy of ${pkg.name} is already loaded from ${prior}; remove one of them`);
        continue;
      }
      if (options.disable?.includes(pkg.name)) {
        this.plugins.push({ ...status, status: 'disabled', reason: 'disabled by the configuration' });
        continue;
      }
      if (options.kinds && !needed(pkg, options.kinds)) {
        this.plugins.push({ ...status, status: 'skipped', reason: `not needed by this command, which uses ${options.kinds.join(', ')}` });
        continue;
      }
      const mismatch = apiMismatch(pkg);
      if (mismatch) {
        this.refuse(status, mismatch);
        continue;
      }
      const optionsProblem = validateOptions(pkg, options.pluginOptions?.[pkg.name] ?? {});
      if (optionsProblem) {
        this.refuse(status, `its options are invalid: ${optionsProblem}; fix "pluginOptions"."${pkg.name}" in the server configuration`);
        continue;
      }
      seenNames.set(pkg.name, pkg.dir);
      valid.push({ pkg, origin: c.origin });
    }
    this.plugins.push(...explicitErrors);

    await this.loadProviders(valid, options.choose ?? {}, options.pluginOptions ?? {});
    // list in discovery order, whatever order they loaded in
    const rank = new Map(unique.map((c, i) => [c.dir, i]));
    this.plugins.sort((a, b) => (rank.get(a.dir) ?? -1) - (rank.get(b.dir) ?? -1));
  }

  /**
   * Loads the plugins so that one plugin serves each extension: a plugin the configuration
   * chooses first, then higher `precedence`, then discovery order. A plugin whose extension is
   * served already is refused, saying by whom; one that fails to load leaves its extensions to
   * the next provider (a native sink without its library gives way to a portable one).
   */
  private async loadProviders(valid: Array<{ pkg: PluginPackage; origin: Candidate['origin'] }>, choose: Readonly<Record<string, string>>, pluginOptions: Readonly<Record<string, unknown>>): Promise<void> {
    const precedence = (p: PluginPackage) => p.manifest.precedence ?? 0;
    const ordered = [...valid].sort((a, b) => Number(isChosenAnywhere(b.pkg, choose)) - Number(isChosenAnywhere(a.pkg, choose)) || precedence(b.pkg) - precedence(a.pkg));
    const owner = new Map<string, PluginPackage>();
    /** providers of an extension that failed to load, by extension key */
    const failed = new Map<string, string[]>();
    /** why a loaded plugin serves what it serves, when another provider exists */
    const notes = new Map<string, string[]>();
    const note = (plugin: string, text: string) => notes.set(plugin, [...(notes.get(plugin) ?? []), text]);
    for (const entry of ordered) {
      const { pkg } = entry;
      let clash: string | undefined;
      /** giving way to a chosen or higher-precedence plugin is how providers are picked, not a fault */
      let gaveWay = false;
      for (const p of pkg.manifest.provides) {
        const key = `${p.kind}:${p.name}`;
        const chosen = choose[key];
        const holder = owner.get(key);
        if (chosen !== undefined && chosen !== pkg.name) {
          clash = `the configuration chooses ${chosen} for ${p.kind} ${p.name}`;
          gaveWay = true;
        } else if (holder && precedence(holder) > precedence(pkg)) {
          clash = `${p.kind} ${p.name} is served by ${holder.name}, which takes precedence; choose this plugin with --choose ${key}=${pkg.name}`;
          note(holder.name, `serves ${p.kind} ${p.name} ahead of ${pkg.name} (precedence ${precedence(holder)} over ${precedence(pkg)})`);
          gaveWay = true;
        } else if (holder) {
          clash = `it provides ${p.kind} ${p.name}, which ${holder.name} provides too; choose one with --choose ${key}=<plugin> (or "choose" in the server configuration)`;
        }
        if (clash) break;
      }
      if (clash) {
        this.refuse({ dir: pkg.dir, origin: entry.origin, name: pkg.name, version: pkg.version, api: pkg.manifest.api, provides: pkg.manifest.provides }, clash, gaveWay ? 'info' : 'warn');
        continue;
      }
      const keys = pkg.manifest.provides.map((p) => `${p.kind}:${p.name}`);
      for (const key of keys) {
        const before = failed.get(key);
        if (before) note(pkg.name, `serves ${key.replace(':', ' ')} because ${before.join(', ')} could not load`);
      }
      if (await this.loadOne(pkg, entry.origin, pluginOptions[pkg.name] ?? {})) for (const key of keys) owner.set(key, pkg);
      else for (const key of keys) failed.set(key, [...(failed.get(key) ?? []), pkg.name]);
    }
    for (const [plugin, texts] of notes) {
      const i = this.plugins.findIndex((s) => s.name === plugin && s.status === 'loaded');
      if (i >= 0) this.plugins[i] = { ...this.plugins[i]!, reason: texts.join('; ') };
    }
  }

  /** true when the plugin loaded */
  private async loadOne(pkg: PluginPackage, origin: Candidate['origin'], options: unknown): Promise<boolean> {
    const base = { dir: pkg.dir, origin, name: pkg.name, version: pkg.version, api: pkg.manifest.api, provides: pkg.manifest.provides };
    const staged: ExtensionBase[] = [];
    const declared = new Set(pkg.manifest.provides.map((p) => `${p.kind}:${p.name}`));
    try {
      const mod = (await import(pathToFileURL(join(pkg.dir, pkg.manifest.entry)).href)) as { default?: NxswPlugin };
      const plugin = mod.default;
      if (!plugin || typeof plugin.register !== 'function') {
        throw new Error(`its entry module ${pkg.manifest.entry} has no default export with a register() function (use definePlugin from @nxsw/core)`);
      }
      const ctx: PluginContext = {
        plugin: { name: pkg.name, version: pkg.version, dir: pkg.dir },
        options: (options ?? {}) as Record<string, unknown>,
        container: this.container,
        extensions: this,
        log: prefixLogger(this.log, pkg.name),
        provide: (ext) => {
          if (!ext || typeof ext.kind !== 'string' || typeof ext.name !== 'string') throw new Error('provide() needs an extension with a kind and a name');
          if (!declared.has(`${ext.kind}:${ext.name}`)) {
            throw new Error(`it registers ${ext.kind} ${ext.name}, which its manifest does not declare; add {"kind": "${ext.kind}", "name": "${ext.name}"} to nxsw.provides`);
          }
          staged.push(ext);
        },
      };
      await plugin.register(ctx);
      const provided = new Set(staged.map((e) => `${e.kind}:${e.name}`));
      const missing = [...declared].filter((d) => !provided.has(d));
      if (missing.length) throw new Error(`its manifest declares ${missing.join(', ')}, but register() did not provide ${missing.length > 1 ? 'them' : 'it'}`);
    } catch (e) {
      this.refuse(base, `loading failed: ${(e as Error).message ?? String(e)}`);
      return false;
    }
    for (const ext of staged) this.add(ext, pkg.name);
    this.plugins.push({ ...base, status: 'loaded' });
    return true;
  }

  /** Records a refused plugin (`nxsw plugins` lists it with the reason) and logs it at `level`. */
  private refuse(s: Partial<PluginStatus> & { dir: string; origin: Candidate['origin']; name: string }, reason: string, level: 'warn' | 'info' = 'warn'): void {
    const status: PluginStatus = { version: '', api: '', provides: [], ...s, status: 'refused', reason };
    this.plugins.push(status);
    this.log[level](`plugin ${status.name} refused: ${reason}`);
  }
}

/** the kinds the kernel's own contracts define; any other kind is defined by a plugin for plugins */
const KERNEL_KINDS: ReadonlySet<string> = new Set<ExtensionKind>(['datasource', 'tag', 'decoder', 'sink', 'frontend']);

/** whether a caller that uses `kinds` needs the plugin (KernelOptions.kinds) */
function needed(pkg: PluginPackage, kinds: readonly ExtensionKind[]): boolean {
  const provides = pkg.manifest.provides;
  return provides.some((p) => kinds.includes(p.kind)) || provides.every((p) => !KERNEL_KINDS.has(p.kind));
}

function isChosenAnywhere(pkg: PluginPackage, choose: Readonly<Record<string, string>>): boolean {
  return Object.values(choose).includes(pkg.name);
}

function nameFromDir(dir: string): string {
  const parts = dir.split('/');
  const last = parts.at(-1) ?? dir;
  const scope = parts.at(-2);
  return scope?.startsWith('@') ? `${scope}/${last}` : last;
}

function prefixLogger(log: Logger, name: string): Logger {
  return {
    debug: (m) => log.debug(`[${name}] ${m}`),
    info: (m) => log.info(`[${name}] ${m}`),
    warn: (m) => log.warn(`[${name}] ${m}`),
    error: (m) => log.error(`[${name}] ${m}`),
  };
}
