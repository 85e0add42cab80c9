/**
 * CORBA TypeCodes and `any` values: the generic decoder/encoder used for Tango command arguments
 * (command_inout) and AttributeValue_3 values.
 */
import { CdrError, CdrReader, CdrWriter } from './cdr.js';

export enum TCKind {
  null = 0, void = 1, short = 2, long = 3, ushort = 4, ulong = 5, float = 6, double = 7, boolean = 8, char = 9,
  octet = 10, any = 11, TypeCode = 12, Principal = 13, objref = 14, struct = 15, union = 16, enum = 17,
  string = 18, sequence = 19, array = 20, alias = 21, except = 22, longlong = 23, ulonglong = 24,
  longdouble = 25, wchar = 26, wstring = 27,
}

export type SimpleKind = TCKind.null | TCKind.void | TCKind.short | TCKind.long | TCKind.ushort | TCKind.ulong |
  TCKind.float | TCKind.double | TCKind.boolean | TCKind.char | TCKind.octet | TCKind.any | TCKind.TypeCode |
  TCKind.longlong | TCKind.ulonglong;

export type TypeCode =
  | { kind: SimpleKind }
  | { kind: TCKind.string; bound: number }
  | { kind: TCKind.sequence; content: TypeCode; bound: number }
  | { kind: TCKind.array; content: TypeCode; length: number }
  | { kind: TCKind.alias; id: string; name: string; content: TypeCode }
  | { kind: TCKind.struct | TCKind.except; id: string; name: string; members: { name: string; type: TypeCode }[] }
  | { kind: TCKind.enum; id: string; name: string; members: string[] }
  | { kind: TCKind.objref; id: string; name: string }
  | { kind: TCKind.union; id: string; name: string; discriminator: TypeCode; defaultIndex: number; members: { label: number | bigint | boolean; name: string; type: TypeCode }[] };

/** An `any`: a TypeCode and the value it describes. */
export interface AnyValue {
  type: TypeCode;
  value: unknown;
}

export const tc = {
  null: { kind: TCKind.null } as TypeCode,
  boolean: { kind: TCKind.boolean } as TypeCode,
  octet: { kind: TCKind.octet } as TypeCode,
  short: { kind: TCKind.short } as TypeCode,
  ushort: { kind: TCKind.ushort } as TypeCode,
  long: { kind: TCKind.long } as TypeCode,
  ulong: { kind: TCKind.ulong } as TypeCode,
  longlong: { kind: TCKind.longlong } as TypeCode,
  ulonglong: { kind: TCKind.ulonglong } as TypeCode,
  float: { kind: TCKind.float } as TypeCode,
  double: { kind: TCKind.double } as TypeCode,
  string: { kind: TCKind.string, bound: 0 } as TypeCode,
  sequence: (content: TypeCode, bound = 0): TypeCode => ({ kind: TCKind.sequence, content, bound }),
  alias: (id: string, name: string, content: TypeCode): TypeCode => ({ kind: TCKind.alias, id, name, content }),
  struct: (id: string, name: string, members: { name: string; type: TypeCode }[]): TypeCode => ({ kind: TCKind.struct, id, name, members }),
  enum: (id: string, name: string, members: string[]): TypeCode => ({ kind: TCKind.enum, id, name, members }),
};

/** Follows aliases to the underlying type. */
export function unalias(t: TypeCode): TypeCode {
  while (t.kind === TCKind.alias) t = t.content;
  return t;
}

// ------------------------------------------------------------------------------------ reading

/** TypeCodes and values nest at most this deep (Tango's types nest a few levels; more is an attack on the stack). */
const MAX_NESTING = 64;

function checkDepth(depth: number, what: string): void {
  if (depth > MAX_NESTING) throw new CdrError(`${what} nests more than ${MAX_NESTING} levels deep`);
}

/** Reads a TypeCode. `seen` maps absolute buffer offsets to TypeCodes for indirections (0xffffffff). */
export function readTypeCode(r: CdrReader, seen = new Map<number, TypeCode>(), depth = 0): TypeCode {
  checkDepth(depth, 'TypeCode');
  r.align(4);
  const at = r.pos;
  const kind = r.ulong();
  if (kind === 0xffffffff) {
    const offPos = r.pos;
    const off = r.long();
    const target = seen.get(offPos + off);
    if (!target) throw new CdrError(`TypeCode indirection at offset ${offPos} points to ${offPos + off}, where no TypeCode starts`);
    return target;
  }
  switch (kind) {
    case TCKind.null: case TCKind.void: case TCKind.short: case TCKind.long: case TCKind.ushort: case TCKind.ulong:
    case TCKind.float: case TCKind.double: case TCKind.boolean: case TCKind.char: case TCKind.octet: case TCKind.any:
    case TCKind.TypeCode: case TCKind.longlong: case TCKind.ulonglong:
      return { kind } as TypeCode;
    case TCKind.string: case TCKind.wstring: {
      if (kind === TCKind.wstring) throw new CdrError('wstring TypeCodes are not supported (Tango does not use them)');
      return { kind: TCKind.string, bound: r.ulong() };
    }
  }
  if (![TCKind.objref, TCKind.struct, TCKind.except, TCKind.enum, TCKind.sequence, TCKind.array, TCKind.alias, TCKind.union].includes(kind)) {
    throw new CdrError(`unknown TypeCode kind ${kind} at offset ${at}`);
  }
  const e = r.encapsulation();
  // registered before the members are read, so a recursive member indirection finds it
  switch (kind) {
    case TCKind.objref: {
      const t: TypeCode = { kind, id: e.string(), name: e.string() };
      seen.set(at, t);
      return t;
    }
    case TCKind.struct: case TCKind.except: {
      const t = { kind, id: e.string(), name: e.string(), members: [] as { name: string; type: TypeCode }[] } as TypeCode & { members: { name: string; type: TypeCode }[] };
      seen.set(at, t);
      const n = e.count(8, 'struct member count');
      for (let i = 0; i < n; i++) t.members.push({ name: e.string(), type: readTypeCode(e, seen, depth + 1) });
      return t;
    }
    case TCKind.enum: {
      const id = e.string();
      const name = e.string();
      const t: TypeCode = { kind, id, name, members: e.stringSeq() };
      seen.set(at, t);
      return t;
    }
    case TCKind.sequence: case TCKind.array: {
      const content = readTypeCode(e, seen, depth + 1);
      const n = e.ulong();
      const t: TypeCode = kind === TCKind.sequence ? { kind, content, bound: n } : { kind, content, length: n };
      seen.set(at, t);
      return t;
    }
    case TCKind.alias: {
      const id = e.string();
      const name = e.string();
      const t = { kind, id, name, content: tc.null } as { kind: TCKind.alias; id: string; name: string; content: TypeCode };
      seen.set(at, t);
      t.content = readTypeCode(e, seen, depth + 1);
      return t;
    }
    case TCKind.union: {
      const id = e.string();
      const name = e.string();
      const discriminator = readTypeCode(e, seen, depth + 1);
      const defaultIndex = e.long();
      const t = { kind, id, name, discriminator, defaultIndex, members: [] as { label: number | bigint | boolean; name: string; type: TypeCode }[] };
      seen.set(at, t);
      const n = e.count(8, 'union member count');
      for (let i = 0; i < n; i++) {
        const label = readSimple(e, unalias(discriminator)) as number | bigint | boolean;
        t.members.push({ label, name: e.string(), type: readTypeCode(e, seen, depth + 1) });
      }
      return t;
    }
  }
  throw new CdrError(`unknown TypeCode kind ${kind} at offset ${at}`);
}

function readSimple(r: CdrReader, t: TypeCode): unknown {
  switch (t.kind) {
    case TCKind.null: case TCKind.void: return null;
    case TCKind.short: return r.short();
    case TCKind.long: return r.long();
    case TCKind.ushort: return r.ushort();
    case TCKind.ulong: case TCKind.enum: return r.ulong();
    case TCKind.float: return r.float();
    case TCKind.double: return r.double();
    case TCKind.boolean: return r.boolean();
    case TCKind.char: return r.char();
    case TCKind.octet: return r.octet();
    case TCKind.longlong: return r.longlong();
    case TCKind.ulonglong: return r.ulonglong();
    case TCKind.string: return r.string();
  }
  throw new CdrError(`type kind ${TCKind[t.kind] ?? t.kind} is not a simple type`);
}

/**
 * Reads a value of type t. Mapping: integers/floats → number, 64-bit → bigint, enum → number (ordinal),
 * string → string, sequences of numbers → typed arrays (boolean → Uint8Array of 0/1, octet → Uint8Array),
 * other sequences/arrays → arrays, struct → object by member name, union → {discriminator, value},
 * any → AnyValue, TypeCode → TypeCode.
 */
export function readValue(r: CdrReader, t: TypeCode, depth = 0): unknown {
  checkDepth(depth, 'a value');
  switch (t.kind) {
    case TCKind.alias: return readValue(r, t.content, depth + 1);
    case TCKind.sequence: {
      const c = unalias(t.content);
      // an element of no bytes (an empty struct) still counts one: the count stays bounded by the message
      const n = r.count(Math.max(minSize(c), 1), 'sequence');
      return readElements(r, c, n, depth);
    }
    case TCKind.array: {
      const c = unalias(t.content);
      if (t.length * Math.max(minSize(c), 1) > r.remaining) throw new CdrError(`array of ${t.length} elements exceeds the ${r.remaining} bytes left`);
      return readElements(r, c, t.length, depth);
    }
    case TCKind.struct: case TCKind.except: {
      const o: Record<string, unknown> = {};
      for (const m of t.members) o[m.name] = readValue(r, m.type, depth + 1);
      return o;
    }
    case TCKind.union: {
      const d = readSimple(r, unalias(t.discriminator)) as number | bigint | boolean;
      const m = t.members.find((x, i) => i !== t.defaultIndex && x.label === d) ?? t.members[t.defaultIndex];
      return { discriminator: d, value: m ? readValue(r, m.type, depth + 1) : undefined };
    }
    case TCKind.any: return readAny(r, depth + 1);
    case TCKind.TypeCode: return readTypeCode(r, undefined, depth + 1);
    case TCKind.objref: throw new CdrError('object references inside an any are not supported');
    default: return readSimple(r, t);
  }
}

function minSize(t: TypeCode): number {
  switch (t.kind) {
    case TCKind.short: case TCKind.ushort: return 2;
    case TCKind.long: case TCKind.ulong: case TCKind.float: case TCKind.enum: case TCKind.string: return 4;
    case TCKind.double: case TCKind.longlong: case TCKind.ulonglong: return 8;
    case TCKind.struct: return t.members.length === 0 ? 0 : 1;
    default: return 1;
  }
}

function readElements(r: CdrReader, c: TypeCode, n: number, depth: number): unknown {
  switch (c.kind) {
    case TCKind.boolean: case TCKind.octet: return r.raw(n).slice();
    case TCKind.short: return r.int16Array(n);
    case TCKind.ushort: return r.uint16Array(n);
    case TCKind.long: return r.int32Array(n);
    case TCKind.ulong: case TCKind.enum: return r.uint32Array(n);
    case TCKind.float: return r.float32Array(n);
    case TCKind.double: return r.float64Array(n);
    case TCKind.longlong: return r.bigInt64Array(n);
    case TCKind.ulonglong: return r.bigUint64Array(n);
  }
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) out[i] = readValue(r, c, depth + 1);
  return out;
}

export function readAny(r: CdrReader, depth = 0): AnyValue {
  const type = readTypeCode(r, undefined, depth);
  return { type, value: readValue(r, type, depth) };
}

// ------------------------------------------------------------------------------------ writing

export function writeTypeCode(w: CdrWriter, t: TypeCode): void {
  w.ulong(t.kind);
  switch (t.kind) {
    case TCKind.string: w.ulong(t.bound); return;
    case TCKind.objref: w.encapsulation((e) => { e.string(t.id); e.string(t.name); }); return;
    case TCKind.struct: case TCKind.except:
      w.encapsulation((e) => {
        e.string(t.id);
        e.string(t.name);
        e.ulong(t.members.length);
        for (const m of t.members) { e.string(m.name); writeTypeCode(e, m.type); }
      });
      return;
    case TCKind.enum: w.encapsulation((e) => { e.string(t.id); e.string(t.name); e.stringSeq(t.members); }); return;
    case TCKind.sequence: w.encapsulation((e) => { writeTypeCode(e, t.content); e.ulong(t.bound); }); return;
    case TCKind.array: w.encapsulation((e) => { writeTypeCode(e, t.content); e.ulong(t.length); }); return;
    case TCKind.alias: w.encapsulation((e) => { e.string(t.id); e.string(t.name); writeTypeCode(e, t.content); }); return;
    case TCKind.union:
      w.encapsulation((e) => {
        e.string(t.id);
        e.string(t.name);
        writeTypeCode(e, t.discriminator);
        e.long(t.defaultIndex);
        e.ulong(t.members.length);
        for (const m of t.members) { writeSimple(e, unalias(t.discriminator), m.label, 'union label'); e.string(m.name); writeTypeCode(e, m.type); }
      });
      return;
  }
}

function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 60) + '…' : s;
  } catch {
    return String(v);
  }
}

function num(v: unknown, what: string, lo: number, hi: number, integer: boolean): number {
  const x = typeof v === 'bigint' ? Number(v) : typeof v === 'boolean' ? (v ? 1 : 0) : v;
  if (typeof x !== 'number' || Number.isNaN(x) && integer) throw new TypeError(`${what}: expected a number, got ${describe(v)}`);
  if (integer && (!Number.isInteger(x) || x < lo || x > hi)) throw new RangeError(`${what}: ${describe(v)} is not an integer in [${lo}, ${hi}]`);
  return x;
}

function big(v: unknown, what: string, signed: boolean): bigint {
  let x: bigint;
  if (typeof v === 'bigint') x = v;
  else if (typeof v === 'number' && Number.isInteger(v)) x = BigInt(v);
  else throw new TypeError(`${what}: expected a bigint or an integer, got ${describe(v)}`);
  const lo = signed ? -(1n << 63n) : 0n;
  const hi = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  if (x < lo || x > hi) throw new RangeError(`${what}: ${x} out of range`);
  return x;
}

function writeSimple(w: CdrWriter, t: TypeCode, v: unknown, what: string): void {
  switch (t.kind) {
    case TCKind.null: case TCKind.void: return;
    case TCKind.short: w.short(num(v, what, -32768, 32767, true)); return;
    case TCKind.ushort: w.ushort(num(v, what, 0, 65535, true)); return;
    case TCKind.long: w.long(num(v, what, -2147483648, 2147483647, true)); return;
    case TCKind.ulong: w.ulong(num(v, what, 0, 4294967295, true)); return;
    case TCKind.enum: {
      const n = typeof v === 'string' ? t.members.indexOf(v) : num(v, what, 0, t.members.length - 1, true);
      if (n < 0) throw new RangeError(`${what}: ${describe(v)} is not one of ${t.members.join(', ')}`);
      w.ulong(n);
      return;
    }
    case TCKind.float: w.float(num(v, what, -Infinity, Infinity, false)); return;
    case TCKind.double: w.double(num(v, what, -Infinity, Infinity, false)); return;
    case TCKind.boolean:
      if (typeof v !== 'boolean' && v !== 0 && v !== 1) throw new TypeError(`${what}: expected a boolean, got ${describe(v)}`);
      w.boolean(Boolean(v));
      return;
    case TCKind.char:
      if (typeof v !== 'string' || v.length !== 1) throw new TypeError(`${what}: expected a 1-character string, got ${describe(v)}`);
      w.octet(v.charCodeAt(0));
      return;
    case TCKind.octet: w.octet(num(v, what, 0, 255, true)); return;
    case TCKind.longlong: w.longlong(big(v, what, true)); return;
    case TCKind.ulonglong: w.ulonglong(big(v, what, false)); return;
    case TCKind.string:
      if (typeof v !== 'string') throw new TypeError(`${what}: expected a string, got ${describe(v)}`);
      w.string(v);
      return;
  }
  throw new TypeError(`${what}: type kind ${TCKind[t.kind] ?? t.kind} is not a simple type`);
}

/** Writes a value of type t (the inverse of readValue; plain arrays are accepted for typed-array slots). */
export function writeValue(w: CdrWriter, t: TypeCode, v: unknown, what = 'value'): void {
  switch (t.kind) {
    case TCKind.alias: writeValue(w, t.content, v, what); return;
    case TCKind.sequence: case TCKind.array: {
      if (typeof v === 'string' || v == null || typeof (v as ArrayLike<unknown>).length !== 'number') throw new TypeError(`${what}: expected an array, got ${describe(v)}`);
      const a = v as ArrayLike<unknown>;
      if (t.kind === TCKind.array && a.length !== t.length) throw new RangeError(`${what}: expected ${t.length} elements, got ${a.length}`);
      if (t.kind === TCKind.sequence) {
        if (t.bound > 0 && a.length > t.bound) throw new RangeError(`${what}: ${a.length} elements exceed the bound ${t.bound}`);
        w.ulong(a.length);
      }
      const c = unalias(t.content);
      for (let i = 0; i < a.length; i++) writeValue(w, c, a[i], `${what}[${i}]`);
      return;
    }
    case TCKind.struct: case TCKind.except: {
      if (typeof v !== 'object' || v === null) throw new TypeError(`${what}: expected an object with ${t.members.map((m) => m.name).join(', ')}, got ${describe(v)}`);
      const o = v as Record<string, unknown>;
      for (const m of t.members) {
        if (!(m.name in o)) throw new TypeError(`${what}: member ${m.name} is missing`);
        writeValue(w, m.type, o[m.name], `${what}.${m.name}`);
      }
      return;
    }
    case TCKind.union: {
      const u = v as { discriminator: number | bigint | boolean; value: unknown };
      if (typeof u !== 'object' || u === null || !('discriminator' in u)) throw new TypeError(`${what}: expected {discriminator, value}`);
      writeSimple(w, unalias(t.discriminator), u.discriminator, `${what}.discriminator`);
      const m = t.members.find((x, i) => i !== t.defaultIndex && x.label === u.discriminator) ?? t.members[t.defaultIndex];
      if (m) writeValue(w, m.type, u.value, `${what}.${m.name}`);
      return;
    }
    case TCKind.any: {
      const a = v as AnyValue;
      if (typeof a !== 'object' || a === null || !('type' in a)) throw new TypeError(`${what}: expected an AnyValue {type, value}`);
      writeAny(w, a);
      return;
    }
    case TCKind.TypeCode: writeTypeCode(w, v as TypeCode); return;
    case TCKind.objref: throw new TypeError(`${what}: object references are not supported`);
    default: writeSimple(w, t, v, what);
  }
}

export function writeAny(w: CdrWriter, a: AnyValue): void {
  writeTypeCode(w, a.type);
  writeValue(w, a.type, a.value);
}
