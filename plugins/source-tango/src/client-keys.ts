/**
 * group="__CLIENT__": before reading the device, the value is looked up in the client's JSON
 * under the spellings of the full attribute name that Sardana-style clients use (spec 2.9.2).
 */
import { lookupService, lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import type { JsonRecord } from '@nxsw/core';

export interface ClientKeyParts {
  /** fully qualified host name */
  readonly fqdn: string;
  /** host name without domain */
  readonly short: string;
  readonly port: number | undefined;
  readonly device: string;
  readonly attribute: string;
  /** the datasource's name attribute */
  readonly name: string | undefined;
}

function hostKeys(host: string, port: number, device: string, attribute: string): string[] {
  return [
    `tango://${host}:${port}/${device}/${attribute.toLowerCase()}`,
    `${host}:${port}/${device}/${attribute}`,
    `${host}:${port}/${device}`,
    `tango://${host}:${port}/${device}`,
  ];
}

/**
 * The candidate keys in the order they are tried: the four forms with the fully qualified host,
 * the four with the short host, the datasource name; then, when none matched, the same list
 * lower-cased. Without a port only the datasource name can be tried.
 */
export function clientKeys(p: ClientKeyParts): string[] {
  const first: string[] = [];
  if (p.port !== undefined) {
    first.push(...hostKeys(p.fqdn, p.port, p.device, p.attribute));
    if (p.short !== p.fqdn) first.push(...hostKeys(p.short, p.port, p.device, p.attribute));
  }
  if (p.name) first.push(p.name);
  const seen = new Set(first);
  const second = first.map((k) => k.toLowerCase()).filter((k) => !seen.has(k) && (seen.add(k), true));
  return [...first, ...second];
}

function fromRecord(record: JsonRecord | undefined, key: string): unknown {
  const v = record?.data?.[key];
  return v === null ? undefined : v;
}

/** The first candidate found, local JSON before global for each key. */
export function lookupClient(keys: readonly string[], local: JsonRecord | undefined, global: JsonRecord): { key: string; value: unknown } | undefined {
  for (const key of keys) {
    let v = fromRecord(local, key);
    if (v === undefined) v = fromRecord(global, key);
    if (v !== undefined) return { key, value: v };
  }
  return undefined;
}

/**
 * The database host as a Tango client reports it (PyTango's DeviceProxy.get_db_host()) for a
 * device named without a host: the TANGO_HOST host, where the client library replaces `localhost`
 * by this machine's name. Sardana builds its keys from that name, so the keys here must too.
 */
export function reportedDatabaseHost(tangoHostHost: string): string {
  return tangoHostHost.toLowerCase() === 'localhost' ? hostname() : tangoHostHost;
}

const fqdnCache = new Map<string, Promise<string>>();

/** A host's fully qualified name as the resolver reports it (the host itself when it cannot tell). */
export function fullyQualified(host: string): Promise<string> {
  let p = fqdnCache.get(host);
  if (!p) {
    p = (async () => {
      if (host.includes('.') && !/^[\d.]+$/.test(host)) return host;
      try {
        const { address } = await lookup(host);
        const { hostname } = await lookupService(address, 0);
        return hostname.toLowerCase().startsWith(`${host.toLowerCase()}.`) ? hostname : host;
      } catch {
        return host;
      }
    })();
    fqdnCache.set(host, p);
  }
  return p;
}
