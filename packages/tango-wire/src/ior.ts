/**
 * Interoperable Object References: stringified IORs ("IOR:<hex>") with IIOP profiles, corbaloc
 * URLs, and the ObjectRef (endpoint + object key + GIOP version) the client calls.
 */
import { CdrError, CdrReader, CdrWriter } from './cdr.js';

export const TAG_INTERNET_IOP = 0;
export const TAG_ORB_TYPE = 0;
export const TAG_CODE_SETS = 1;
export const TAG_ALTERNATE_IIOP_ADDRESS = 3;

export interface TaggedData { tag: number; data: Uint8Array }

export interface IiopProfile {
  major: number;
  minor: number;
  host: string;
  port: number;
  objectKey: Uint8Array;
  components: TaggedData[];
}

export interface Ior {
  typeId: string;
  profiles: TaggedData[];
}

/** What a client needs to call an object. */
export interface ObjectRef {
  host: string;
  port: number;
  objectKey: Uint8Array;
  /** GIOP minor version to use: 0 for corbaloc without a version, the profile's IIOP minor (max 2) for IORs */
  giopMinor: number;
  typeId?: string;
}

export class IorError extends Error {
  override readonly name = 'IorError';
}

export function parseIor(text: string): Ior {
  const s = text.trim();
  if (!/^IOR:/i.test(s)) throw new IorError(`not a stringified IOR (must start with "IOR:"): ${s.slice(0, 30)}`);
  const hex = s.slice(4);
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new IorError('IOR: the part after "IOR:" must be an even number of hex digits');
  if (hex.length < 2) throw new IorError('IOR is empty');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  try {
    const r = new CdrReader(bytes, 1, (bytes[0] & 1) === 1, 0);
    const typeId = r.string();
    const n = r.count(8, 'IOR profile list');
    const profiles: TaggedData[] = [];
    for (let i = 0; i < n; i++) profiles.push({ tag: r.ulong(), data: r.octetSeq() });
    return { typeId, profiles };
  } catch (e) {
    throw new IorError(`malformed IOR: ${(e as Error).message}`);
  }
}

export function stringifyIor(ior: Ior): string {
  const w = new CdrWriter(true, 0);
  w.octet(1);
  w.string(ior.typeId);
  w.ulong(ior.profiles.length);
  for (const p of ior.profiles) { w.ulong(p.tag); w.octetSeq(p.data); }
  return 'IOR:' + Array.from(w.bytes(), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function decodeIiopProfile(data: Uint8Array): IiopProfile {
  try {
    const r = new CdrReader(data, 1, (data[0] & 1) === 1, 0);
    const major = r.octet();
    const minor = r.octet();
    const host = r.string();
    const port = r.ushort();
    const objectKey = r.octetSeq();
    const components: TaggedData[] = [];
    if (minor >= 1 && r.remaining > 0) {
      const n = r.count(8, 'IIOP profile components');
      for (let i = 0; i < n; i++) components.push({ tag: r.ulong(), data: r.octetSeq() });
    }
    return { major, minor, host, port, objectKey, components };
  } catch (e) {
    throw new IorError(`malformed IIOP profile: ${(e as Error).message}`);
  }
}

export function encodeIiopProfile(p: IiopProfile): Uint8Array {
  const w = new CdrWriter(true, 0);
  w.octet(1).octet(p.major).octet(p.minor).string(p.host).ushort(p.port).octetSeq(p.objectKey);
  if (p.minor >= 1) {
    w.ulong(p.components.length);
    for (const c of p.components) { w.ulong(c.tag); w.octetSeq(c.data); }
  }
  return w.bytes().slice();
}

/** The first IIOP profile of an IOR. */
export function iiopProfile(ior: Ior): IiopProfile {
  const p = ior.profiles.find((x) => x.tag === TAG_INTERNET_IOP);
  if (!p) throw new IorError(`IOR for ${ior.typeId} has no IIOP (TCP) profile`);
  return decodeIiopProfile(p.data);
}

/** Code sets component: char ISO-8859-1 (conversion UTF-8), wchar UTF-16, as cppTango publishes. */
export function codeSetsComponent(): TaggedData {
  const w = new CdrWriter(true, 0);
  w.octet(1);
  w.ulong(0x00010001).ulong(1).ulong(0x05010001);
  w.ulong(0x00010109).ulong(0);
  return { tag: TAG_CODE_SETS, data: w.bytes().slice() };
}

/** Builds an IOR with a single IIOP 1.2 profile (what a TS device server publishes). */
export function makeIor(typeId: string, host: string, port: number, objectKey: Uint8Array | string): Ior {
  const key = typeof objectKey === 'string' ? new TextEncoder().encode(objectKey) : objectKey;
  const profile = encodeIiopProfile({ major: 1, minor: 2, host, port, objectKey: key, components: [codeSetsComponent()] });
  return { typeId, profiles: [{ tag: TAG_INTERNET_IOP, data: profile }] };
}

export function iorToObjectRef(ior: Ior | string): ObjectRef {
  const i = typeof ior === 'string' ? parseIor(ior) : ior;
  const p = iiopProfile(i);
  if (p.major !== 1) throw new IorError(`IIOP version ${p.major}.${p.minor} is not supported`);
  return { host: p.host, port: p.port, objectKey: p.objectKey, giopMinor: Math.min(p.minor, 2), typeId: i.typeId };
}

/**
 * corbaloc:iiop:[1.x@]host:port/key or corbaloc::host:port/key (several addresses: the first is used).
 * The key is percent-decoded. Without a version the GIOP version is 1.0, as omniORB does.
 */
export function parseCorbaloc(url: string): ObjectRef {
  const m = /^corbaloc:(.*)$/i.exec(url.trim());
  if (!m) throw new IorError(`not a corbaloc URL: ${url}`);
  const slash = m[1].indexOf('/');
  if (slash < 0) throw new IorError(`corbaloc URL without an object key: ${url}`);
  const addrList = m[1].slice(0, slash);
  const keyText = m[1].slice(slash + 1);
  const first = addrList.split(',')[0];
  const am = /^(?:iiop)?:(?:(\d+)\.(\d+)@)?(\[[^\]]+\]|[^:]*)(?::(\d+))?$/i.exec(first);
  if (!am) throw new IorError(`unsupported corbaloc address "${first}" (expected iiop:[1.x@]host[:port])`);
  const minor = am[1] ? Number(am[2]) : 0;
  if (am[1] && (Number(am[1]) !== 1 || minor > 2)) throw new IorError(`unsupported IIOP version ${am[1]}.${am[2]} in ${url}`);
  const host = am[3].replace(/^\[|\]$/g, '') || 'localhost';
  const port = am[4] ? Number(am[4]) : 2809;
  if (!(port > 0 && port < 65536)) throw new IorError(`invalid port in ${url}`);
  return { host, port, objectKey: percentDecode(keyText), giopMinor: minor };
}

export function makeCorbaloc(ref: ObjectRef): string {
  const v = ref.giopMinor > 0 ? `1.${ref.giopMinor}@` : '';
  const host = ref.host.includes(':') ? `[${ref.host}]` : ref.host;
  return `corbaloc:iiop:${v}${host}:${ref.port}/${percentEncode(ref.objectKey)}`;
}

function percentDecode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (s[i] === '%') {
      const h = s.substr(i + 1, 2);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new IorError(`bad percent escape "%${h}" in corbaloc key`);
      out.push(parseInt(h, 16));
      i += 2;
    } else if (c > 0xff) {
      throw new CdrError(`corbaloc key has a non-latin-1 character`);
    } else {
      out.push(c);
    }
  }
  return Uint8Array.from(out);
}

function percentEncode(key: Uint8Array): string {
  let s = '';
  for (const b of key) {
    const ch = String.fromCharCode(b);
    s += /[A-Za-z0-9;/:?@&=+$,\-_.!~*'()]/.test(ch) ? ch : '%' + b.toString(16).padStart(2, '0');
  }
  return s;
}

export function keyToString(key: Uint8Array): string {
  return Array.from(key, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}
