/**
 * Tango naming: TANGO_HOST lists, fully qualified device/attribute names
 * (tango://host:port/dom/fam/mem[/attr][#dbase=no]) and where TANGO_HOST comes from.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface HostPort { host: string; port: number }

export class TangoNameError extends Error {
  override readonly name = 'TangoNameError';
}

/** "h1:p1,h2:p2" → [{host, port}…]. */
export function parseTangoHost(text: string): HostPort[] {
  const items = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new TangoNameError(`TANGO_HOST "${text}" is empty (expected host:port[,host:port])`);
  return items.map((item) => {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(item);
    if (!m) throw new TangoNameError(`TANGO_HOST entry "${item}" is not host:port`);
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw new TangoNameError(`TANGO_HOST entry "${item}" has an invalid port`);
    return { host: m[1].replace(/^\[|\]$/g, ''), port };
  });
}

/** TANGO_HOST from the environment, then ~/.tangorc, then /etc/tangorc (as the C++ library does). */
export function defaultTangoHost(env: NodeJS.ProcessEnv = process.env): HostPort[] {
  if (env.TANGO_HOST) return parseTangoHost(env.TANGO_HOST);
  for (const f of [join(homedir(), '.tangorc'), '/etc/tangorc']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const m = /^\s*TANGO_HOST\s*=\s*(\S+)/m.exec(text);
    if (m) return parseTangoHost(m[1]);
  }
  throw new TangoNameError('TANGO_HOST is not set (environment, ~/.tangorc, /etc/tangorc)');
}

export interface TangoName {
  /** database host(s) from tango://…; undefined means "use TANGO_HOST" */
  hosts?: HostPort[];
  /** dom/fam/mem, or an alias (no slash) */
  device: string;
  attribute?: string;
  /** false for #dbase=no (direct addressing: host:port is the device server itself) */
  useDatabase: boolean;
}

/**
 * Parses a device or attribute name:
 *   dom/fam/mem · dom/fam/mem/attr · alias · alias/attr · tango://host:port[,host:port]/dom/fam/mem[/attr][#dbase=no]
 * `kind` says whether a fourth field is an attribute ('attribute') or not allowed ('device').
 */
export function parseTangoName(text: string, kind: 'device' | 'attribute' | 'either' = 'either'): TangoName {
  let s = text.trim();
  let useDatabase = true;
  const hash = s.indexOf('#');
  if (hash >= 0) {
    const frag = s.slice(hash + 1);
    if (/^dbase=no$/i.test(frag)) useDatabase = false;
    else if (!/^dbase=yes$/i.test(frag)) throw new TangoNameError(`"${text}": unknown name modifier "#${frag}" (expected #dbase=no or #dbase=yes)`);
    s = s.slice(0, hash);
  }
  let hosts: HostPort[] | undefined;
  const proto = /^tango:\/\/([^/]+)\/(.*)$/i.exec(s);
  if (proto) {
    hosts = parseTangoHost(proto[1]);
    s = proto[2];
  } else if (/^[a-z]+:\/\//i.test(s)) {
    throw new TangoNameError(`"${text}": only the tango:// protocol is supported`);
  } else if (!useDatabase) {
    throw new TangoNameError(`"${text}": #dbase=no needs tango://host:port/ in front of the device name`);
  }
  const parts = s.split('/');
  if (parts.some((p) => p === '')) throw new TangoNameError(`"${text}": empty name field`);
  let device: string;
  let attribute: string | undefined;
  if (parts.length === 3) {
    device = parts.join('/');
  } else if (parts.length === 4) {
    if (kind === 'device') throw new TangoNameError(`"${text}": a device name has three fields (domain/family/member)`);
    device = parts.slice(0, 3).join('/');
    attribute = parts[3];
  } else if (parts.length === 1 || parts.length === 2) {
    // alias, or alias/attribute
    if (!useDatabase) throw new TangoNameError(`"${text}": aliases need the database; use domain/family/member with #dbase=no`);
    device = parts[0];
    if (parts.length === 2) {
      if (kind === 'device') throw new TangoNameError(`"${text}": not a device name (domain/family/member or an alias)`);
      attribute = parts[1];
    }
  } else {
    throw new TangoNameError(`"${text}": too many "/" separated fields`);
  }
  if (kind === 'attribute' && attribute === undefined) throw new TangoNameError(`"${text}": no attribute name`);
  return { hosts, device, attribute, useDatabase };
}

export function isAlias(device: string): boolean {
  return !device.includes('/');
}

/** The canonical text form of a parsed name. */
export function formatTangoName(n: TangoName): string {
  const hostPart = n.hosts ? `tango://${n.hosts.map((h) => `${h.host}:${h.port}`).join(',')}/` : '';
  return `${hostPart}${n.device}${n.attribute ? '/' + n.attribute : ''}${n.useDatabase ? '' : '#dbase=no'}`;
}
