/**
 * Options shared by every command: which plugins to load and how (server configuration file,
 * --plugin, --choose, NXSW_PLUGINS, NXSW_CHOOSE) and the input limits ("limits" there, --limit).
 */
import { readFileSync } from 'node:fs';
import { NxswError } from '../api/errors.js';
import type { KernelOptions } from '../kernel/kernel.js';
import { limitOverrides, resolveLimits, type InputLimits } from '../api/limits.js';

export interface ServerConfig {
  plugins?: string[];
  choose?: Record<string, string>;
  pluginOptions?: Record<string, unknown>;
  disable?: string[];
  /** overrides of DEFAULT_LIMITS by name (docs/limits.md) */
  limits?: Record<string, unknown>;
}

export function readServerConfig(path: string | undefined): ServerConfig {
  if (!path) return {};
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new NxswError('PLUGIN_OPTIONS', `cannot read the server configuration ${path}: ${(e as Error).message}`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new NxswError('PLUGIN_OPTIONS', `${path}: the server configuration must be a JSON object`);
  const c = json as Record<string, unknown>;
  const known = ['plugins', 'choose', 'pluginOptions', 'disable', 'limits'];
  const unknown = Object.keys(c).filter((k) => !known.includes(k));
  if (unknown.length) throw new NxswError('PLUGIN_OPTIONS', `${path}: unknown key(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return c as ServerConfig;
}

/** Conflict choices from `kind:name=plugin` texts: NXSW_CHOOSE (comma-separated) first, then the flags. */
export function parseChoices(flags: readonly string[] = []): Record<string, string> {
  const fromEnv = (process.env.NXSW_CHOOSE ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const choose: Record<string, string> = {};
  for (const c of [...fromEnv, ...flags]) {
    const eq = c.indexOf('=');
    if (eq < 1 || !c.slice(0, eq).includes(':')) throw new NxswError('PLUGIN_OPTIONS', `--choose '${c}' must look like kind:name=plugin (e.g. datasource:CLIENT=@site/my-client)`);
    choose[c.slice(0, eq)] = c.slice(eq + 1);
  }
  return choose;
}

/** `--plugin-option PLUGIN.KEY=VALUE` entries over the configuration's pluginOptions; VALUE is JSON or text */
function withPluginOptions(base: Record<string, unknown> | undefined, entries: readonly string[]): Record<string, unknown> | undefined {
  if (entries.length === 0) return base;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, opts] of Object.entries(base ?? {})) out[name] = { ...(opts as Record<string, unknown>) };
  for (const e of entries) {
    const eq = e.indexOf('=');
    const dot = eq < 0 ? -1 : e.lastIndexOf('.', eq);
    if (dot < 1 || dot === eq - 1) throw new NxswError('PLUGIN_OPTIONS', `--plugin-option '${e}' must look like PLUGIN.KEY=VALUE (e.g. @nxsw/source-python.python=/usr/bin/python3)`);
    const text = e.slice(eq + 1);
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      /* plain text */
    }
    (out[e.slice(0, dot)] ??= {})[e.slice(dot + 1, eq)] = value;
  }
  return out;
}

/** the configuration file's "limits", then --limit over them */
function limitsOf(config: ServerConfig, flags: { config?: string; limit?: string[] }): InputLimits {
  const fromFile = config.limits ?? {};
  if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new NxswError('PLUGIN_OPTIONS', `${flags.config}: "limits" must be an object of name: number`);
  resolveLimits(fromFile, `${flags.config}: limits`);
  return resolveLimits({ ...fromFile, ...limitOverrides(flags.limit) }, '--limit');
}

export function kernelOptions(flags: { plugin?: string[]; choose?: string[]; config?: string; limit?: string[]; 'plugin-option'?: string[] }): KernelOptions {
  const config = readServerConfig(flags.config);
  const fromEnv = (process.env.NXSW_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const choose: Record<string, string> = { ...(config.choose ?? {}), ...parseChoices(flags.choose) };
  return {
    plugins: [...(config.plugins ?? []), ...fromEnv, ...(flags.plugin ?? [])],
    choose,
    pluginOptions: withPluginOptions(config.pluginOptions, flags['plugin-option'] ?? []),
    disable: config.disable,
    limits: limitsOf(config, flags),
  };
}
