/** The HTTP front end's options: `--http [HOST:]PORT` and the live view's read limit. */
import { parseArgs } from 'node:util';
import { NxswError } from '@nxsw/core';

export interface HttpOptions {
  /** bind address; default 127.0.0.1 (only this machine) */
  readonly host: string;
  /** 0: an ephemeral port */
  readonly port: number;
  /** the most elements one data request may read (and paths one /paths/ request lists) */
  readonly maxElements: number;
  /** the most readers of closed files kept open (default DEFAULT_MAX_READERS) */
  readonly maxReaders?: number;
}

export const DEFAULT_MAX_ELEMENTS = 1 << 22;
/** closed files whose readers stay open: a few sessions' last scans */
export const DEFAULT_MAX_READERS = 8;

export const USAGE = `nxsw serve --http [HOST:]PORT [--max-elements N]
  --http [HOST:]PORT   serve the read-only live view (status page, h5grove API, H5Web) on PORT;
                       HOST defaults to 127.0.0.1 (this machine only); 0.0.0.0 serves every
                       interface (no authentication: only on a trusted network)
  --max-elements N     the most elements one data request reads (default ${DEFAULT_MAX_ELEMENTS});
                       larger requests are refused: H5Web then asks for slices
`;

/** `[HOST:]PORT` → host and port; an IPv6 host goes in brackets: [::1]:8080 */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]+):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new NxswError('PLUGIN_OPTIONS', `--http '${text}' must be [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080`);
  return { host: m[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1', port };
}

export function parseHttpArgs(options: unknown): HttpOptions {
  const args = Array.isArray(options) ? options.map(String) : [];
  const { values } = parseArgs({ args, strict: true, options: { http: { type: 'string' }, 'max-elements': { type: 'string' } } });
  const listen = parseListen(values.http ?? '0');
  const maxElements = values['max-elements'] === undefined ? DEFAULT_MAX_ELEMENTS : Number(values['max-elements']);
  if (!Number.isInteger(maxElements) || maxElements < 1) throw new NxswError('PLUGIN_OPTIONS', `--max-elements must be a positive integer, not '${values['max-elements']}'`);
  return { ...listen, maxElements };
}
