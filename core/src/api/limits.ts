/**
 * Bounds on what a client may send: checked when a configuration or a JSON record arrives, before
 * any work is done, so that no input can exhaust the server's memory or time (docs/limits.md).
 */
import { ConfigError, NxswError, type XmlLocation } from './errors.js';

/** HDF5's maximum dataspace rank (H5S_MAX_RANK). */
export const HDF5_MAX_RANK = 32;

export interface InputLimits {
  /** bytes (UTF-8) of one XML configuration */
  readonly xmlBytes: number;
  /** element nesting of a configuration */
  readonly xmlDepth: number;
  /** elements of a configuration */
  readonly xmlElements: number;
  /** XML attributes of one element */
  readonly xmlAttributes: number;
  /** rank of one value (at most HDF5_MAX_RANK) */
  readonly rank: number;
  /** elements of one value as its declared lengths give it (the product of the <dim> values) */
  readonly valueElements: number;
  /** bytes (UTF-8) of one JSON record */
  readonly jsonBytes: number;
  /** nesting of objects and arrays in one JSON record */
  readonly jsonDepth: number;
}

export const DEFAULT_LIMITS: InputLimits = {
  xmlBytes: 32 * 1024 * 1024,
  xmlDepth: 64,
  xmlElements: 200_000,
  xmlAttributes: 256,
  rank: HDF5_MAX_RANK,
  valueElements: 2 ** 28,
  jsonBytes: 64 * 1024 * 1024,
  jsonDepth: 64,
};

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as ReadonlyArray<keyof InputLimits>;

/**
 * The defaults overridden by `overrides` (the server configuration's "limits" object, or
 * `--limit name=value` options); an unknown name or a value that is not a positive integer is an
 * error naming `where`.
 */
export function resolveLimits(overrides: Readonly<Record<string, unknown>> | undefined, where: string): InputLimits {
  const out: Record<string, number> = { ...DEFAULT_LIMITS };
  for (const [name, raw] of Object.entries(overrides ?? {})) {
    if (!(LIMIT_NAMES as readonly string[]).includes(name)) {
      throw new NxswError('PLUGIN_OPTIONS', `${where}: unknown limit '${name}' (known: ${LIMIT_NAMES.join(', ')})`);
    }
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new NxswError('PLUGIN_OPTIONS', `${where}: limit ${name} must be a positive integer, not '${String(raw)}'`);
    }
    if (name === 'rank' && n > HDF5_MAX_RANK) throw new NxswError('PLUGIN_OPTIONS', `${where}: limit rank cannot exceed HDF5's maximum rank ${HDF5_MAX_RANK}`);
    out[name] = n;
  }
  return out as unknown as InputLimits;
}

/** `name=value` pairs (the CLI's repeatable --limit) as an overrides object. */
export function limitOverrides(pairs: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=');
    if (eq < 1) throw new NxswError('PLUGIN_OPTIONS', `--limit '${p}' must be name=value (known: ${LIMIT_NAMES.join(', ')})`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1).trim();
  }
  return out;
}

/** A byte count for messages: 33554432 → "32 MiB". */
export function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** A configuration beyond a limit: says which limit, located like every configuration error. */
export function limitError(what: string, limit: keyof InputLimits, location: XmlLocation): ConfigError {
  return new ConfigError('LIMIT_EXCEEDED', `${what} (limit ${limit}; docs/limits.md says how to change it)`, location);
}
