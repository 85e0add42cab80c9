/**
 * Options shared by every command: which plugins to load and how (server configuration file,
 * --plugin, --choose, NXSW_PLUGINS) and the input limits ("limits" there, --limit).
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

/** the configuration file's "limits", then --limit over them */
function limitsOf(config: ServerConfig, flags: { config?: string; limit?: string[] }): InputLimits {
  const fromFile = config.limits ?? {};
  if (!fromFile || typeof fromFile !== 'object' || Array.isArray(fromFile)) throw new NxswError('PLUGIN_OPTIONS', `${flags.config}: "limits" must be an object of name: number`);
  resolveLimits(fromFile, `${flags.config}: limits`);
  return resolveLimits({ ...fromFile, ...limitOverrides(flags.limit) }, '--limit');
}

export function kernelOptions(flags: { plugin?: string[]; choose?: string[]; config?: string; limit?: string[] }): KernelOptions {
  const config = readServerConfig(flags.config);
  const fromEnv = (process.env.NXSW_PLUGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const choose: Record<string, string> = { ...(config.choose ?? {}) };
  for (const c of flags.choose ?? []) {
    const eq = c.indexOf('=');
    if (eq < 1 || !c.slice(0, eq).includes(':')) throw new NxswError('PLUGIN_OPTIONS', `--choose '${c}' must look like kind:name=plugin (e.g. datasource:CLIENT=@site/my-client)`);
    choose[c.slice(0, eq)] = c.slice(eq + 1);
  }
  return {
    plugins: [...(config.plugins ?? []), ...fromEnv, ...(flags.plugin ?? [])],
    choose,
    pluginOptions: config.pluginOptions,
    disable: config.disable,
    limits: limitsOf(config, flags),
  };
}
