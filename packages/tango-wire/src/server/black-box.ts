/**
 * Black box entries in cppTango 9.3's words (checked against TangoTest), e.g.
 *   03/12/2026 08:34:38:65 : Operation command_inout_4 (cmd = Status) from cache_device requested from vm (CPP/Python client with PID 24954)
 *   03/12/2026 08:34:38:65 : Attribute state requested from vm
 * The client's address is shown as its host name once a reverse lookup has answered (the
 * lookup runs in the background; until then the address itself).
 */
import { reverse } from 'node:dns';
import { DevSource, LockerLanguage } from '../enums.js';
import type { ClntIdent } from '../idl.js';

export interface BlackBoxCall {
  readonly operation: string;
  /** "host:port" */
  readonly peer: string;
  command?: string;
  attributes?: readonly string[];
  source?: DevSource;
  ident?: ClntIdent;
}

/** CORBA attributes of the Device interface (read with _get_<name>) */
const CORBA_ATTRIBUTES = new Set(['_get_state', '_get_status', '_get_name', '_get_description', '_get_adm_name']);
const SOURCE_NAMES: Record<number, string> = { [DevSource.DEV]: 'device', [DevSource.CACHE]: 'cache', [DevSource.CACHE_DEV]: 'cache_device' };
/** operations whose entry lists the attribute names */
const LISTS_ATTRIBUTES = /^(read_attributes|write_attributes|write_read_attributes)/;

const names = new Map<string, string>();

/** the host name of an address (cached; the address until the lookup answered) */
export function hostName(address: string): string {
  const known = names.get(address);
  if (known !== undefined) return known;
  names.set(address, address);
  if (names.size > 4096) names.clear();
  reverse(address, (err, hosts) => {
    if (!err && hosts.length > 0) names.set(address, hosts[0].split('.')[0]);
  });
  return address;
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** "dd/mm/yyyy hh:mm:ss:cc" in local time, as cppTango */
function stamp(d: Date): string {
  return `${two(d.getDate())}/${two(d.getMonth() + 1)}/${d.getFullYear()} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}:${two(Math.floor(d.getMilliseconds() / 10))}`;
}

/** the host part of "host:port" (IPv6 addresses keep their colons; IPv4-mapped ones lose the ::ffff: prefix) */
export function hostOf(peer: string): string {
  const i = peer.lastIndexOf(':');
  return (i > 0 ? peer.slice(0, i) : peer).replace(/^::ffff:/, '');
}

/** the entry's text; `host` as hostName gave it when the call came in */
export function blackBoxEntry(call: BlackBoxCall, now = new Date(), host = hostName(hostOf(call.peer))): string {
  if (CORBA_ATTRIBUTES.has(call.operation)) return `${stamp(now)} : Attribute ${call.operation.slice(5)} requested from ${host}`;
  let what = `Operation ${call.operation}`;
  if (call.command !== undefined) what += ` (cmd = ${call.command})`;
  else if (call.attributes && LISTS_ATTRIBUTES.test(call.operation)) what += ` (${call.attributes.join(', ')})`;
  if (call.source !== undefined) what += ` from ${SOURCE_NAMES[call.source] ?? 'device'}`;
  let client = '';
  if (call.ident?.lang === LockerLanguage.CPP) client = ` (CPP/Python client with PID ${call.ident.pid})`;
  else if (call.ident?.lang === LockerLanguage.JAVA) client = ` (Java client with main class ${call.ident.mainClass})`;
  return `${stamp(now)} : ${what} requested from ${host}${client}`;
}
