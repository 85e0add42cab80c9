/**
 * What the writing sink (sink.ts) and the read-only reader (reader.ts) share: error text from
 * the HDF5 error stack, the files this process writes, element types of stored datatypes, reading
 * a whole attribute or dataset into an NxValue, and link values.
 */
import { NxswError, sizeOf, type ElementType, type NxValue, type ValueData } from '@nxsw/core';
import type { H5Lib, Hid } from './lib.js';

const T_INTEGER = 0;
const T_FLOAT = 1;
const T_STRING = 3;
const T_ENUM = 8;
const L_HARD = 0;
const L_SOFT = 1;
const L_EXTERNAL = 64;
const S_NULL = 2;

/** The outermost and innermost messages of an HDF5 error stack: what failed and why. */
export function reason(stack: string[]): string {
  if (stack.length === 0) return 'the HDF5 library reported an error without a message';
  const first = stack[0]!;
  const last = stack[stack.length - 1]!;
  return first === last ? first : `${first}: ${last}`;
}

/**
 * Files this process has open for writing (by real path). HDF5 locks against other processes
 * only: a second H5Fopen of an open file in the same process shares it, so a second session, or
 * a reader, is refused by this set.
 */
export const openHere = new Set<string>();

export function allocateOf(type: ElementType, n: number): Exclude<ValueData, string[]> {
  switch (type) {
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    default: return new Uint8Array(n);
  }
}

/** h5py's bool: an 8-bit enum with exactly the members FALSE=0 and TRUE=1 */
function isBoolEnum(h5: H5Lib, tid: Hid): boolean {
  const { fn } = h5;
  if (fn.H5Tget_nmembers(tid) !== 2) return false;
  const members = new Map<string, number>();
  for (let i = 0; i < 2; i++) {
    const value = new Uint8Array(1);
    fn.H5Tget_member_value(tid, i, value);
    members.set(h5.takeString(fn.H5Tget_member_name(tid, i)), (value[0]! << 24) >> 24);
  }
  return members.get('FALSE') === 0 && members.get('TRUE') === 1;
}

/** The element type of a stored datatype, or undefined for one nxsw does not map. */
export function elementTypeOf(h5: H5Lib, tid: Hid): ElementType | undefined {
  const { fn } = h5;
  const cls = fn.H5Tget_class(tid);
  const size = Number(fn.H5Tget_size(tid));
  if (cls === T_STRING) return 'string';
  if (cls === T_FLOAT) return size === 4 ? 'float32' : size === 8 ? 'float64' : undefined;
  if (cls === T_ENUM) return size === 1 && isBoolEnum(h5, tid) ? 'bool' : undefined;
  if (cls !== T_INTEGER || ![1, 2, 4, 8].includes(size)) return undefined;
  return `${fn.H5Tget_sign(tid) === 0 ? 'uint' : 'int'}${size * 8}` as ElementType;
}

/** the stored type as a reader names it (the labels of the h5wasm sink's reader) */
export function typeLabelOf(h5: H5Lib, tid: Hid): string {
  const { fn } = h5;
  const t = elementTypeOf(h5, tid);
  if (t === 'string') return fn.H5Tis_variable_str(tid) > 0 ? 'variable-length string' : `fixed-length string (${Number(fn.H5Tget_size(tid))} bytes)`;
  if (t === 'bool') return 'bool (enum)';
  if (t) return t;
  const cls = fn.H5Tget_class(tid) as number;
  return ({ 0: 'integer', 1: 'float', 2: 'time', 4: 'bitfield', 5: 'opaque', 6: 'compound', 7: 'reference', 8: 'enum', 9: 'variable-length sequence', 10: 'array' } as Record<number, string>)[cls]
    ?? `HDF5 type class ${cls}`;
}

/** the shape of a dataspace ([] for a scalar); null for an empty (H5S_NULL) one, which holds no value */
export function shapeOf(h5: H5Lib, space: Hid): number[] | null {
  const { fn } = h5;
  if (fn.H5Sget_simple_extent_type(space) === S_NULL) return null;
  const rank = fn.H5Sget_simple_extent_ndims(space);
  if (rank <= 0) return [];
  const dims = new BigUint64Array(rank);
  fn.H5Sget_simple_extent_dims(space, dims, null);
  return Array.from(dims, Number);
}

/**
 * Reads a whole attribute or dataset of datatype `tid` and dataspace `space` through
 * `read(memoryType, buffer)`: numbers in their native type (64-bit integers as BigInt arrays,
 * exact), bool enums as 0/1, strings (variable or fixed length) as JS strings. `strType` is a
 * variable-length UTF-8 string type in memory. Errors name `file` and `what`.
 */
export function readStored(
  h5: H5Lib, file: string, what: string, tid: Hid, space: Hid, strType: Hid,
  read: (memType: Hid, buf: Uint8Array | Exclude<ValueData, string[]>) => number,
): NxValue {
  const { fn } = h5;
  const check = (result: number): void => {
    if (result < 0) throw new NxswError('FILE_ERROR', `${file}: cannot read ${what}: ${reason(h5.errorStack())}`);
  };
  const shape = shapeOf(h5, space);
  if (shape === null) throw new NxswError('VALUE_INVALID', `${file}: ${what} is empty (an HDF5 null dataspace): it holds no value`);
  const n = sizeOf(shape);
  const type = elementTypeOf(h5, tid);
  if (!type) throw new NxswError('VALUE_INVALID', `${file}: ${what} has a type nxsw does not read (${typeLabelOf(h5, tid)}, ${fn.H5Tget_size(tid)} bytes)`);
  if (type !== 'string') {
    const data = allocateOf(type, n);
    // a bool enum reads through its own type; a big-endian number converts to the native one
    const g = h5.g;
    const mem: Record<Exclude<ElementType, 'string' | 'bool'>, Hid> = {
      int8: g.NATIVE_INT8, uint8: g.NATIVE_UINT8, int16: g.NATIVE_INT16, uint16: g.NATIVE_UINT16, int32: g.NATIVE_INT32, uint32: g.NATIVE_UINT32,
      int64: g.NATIVE_INT64, uint64: g.NATIVE_UINT64, float32: g.NATIVE_FLOAT, float64: g.NATIVE_DOUBLE,
    };
    if (n > 0) check(read(type === 'bool' ? tid : mem[type], data));
    return { type, shape, data };
  }
  if (n === 0) return { type, shape, data: [] };
  if (fn.H5Tis_variable_str(tid) > 0) {
    const ptrs = new Uint8Array(8 * n);
    check(read(strType, ptrs));
    const out = h5.decodePointers(ptrs, n).map((x) => x ?? '');
    const dv = new DataView(ptrs.buffer);
    for (let i = 0; i < n; i++) {
      const p = dv.getBigUint64(8 * i, true);
      if (p) fn.H5free_memory(p);
    }
    return { type, shape, data: out };
  }
  const size = Number(fn.H5Tget_size(tid));
  const raw = new Uint8Array(size * n);
  check(read(tid, raw));
  // fixed length: NUL-terminated, NUL-padded or space-padded
  return { type, shape, data: Array.from({ length: n }, (_, i) => Buffer.from(raw.subarray(i * size, (i + 1) * size)).toString('utf8').replace(/\0.*$/s, '').replace(/ +$/, '')) };
}

export type LinkInfo = { readonly kind: 'hard' } | { readonly kind: 'soft'; readonly path: string } | { readonly kind: 'external'; readonly file: string; readonly path: string } | { readonly kind: 'other'; readonly type: number };

/**
 * What the link `name` in the group `loc` is (it must exist): a hard link, or a soft link's
 * target path, or an external link's file and path. Errors name `file` and `where`.
 */
export function linkOf(h5: H5Lib, file: string, loc: Hid, name: string, where: string): LinkInfo {
  const { fn } = h5;
  const check = (result: number): void => {
    if (result < 0) throw new NxswError('FILE_ERROR', `${file}: cannot look up link ${where}: ${reason(h5.errorStack())}`);
  };
  // H5L_info_t (1.10) or H5L_info2_t (1.12+), as the loaded series lays it out (versions.ts)
  const layout = h5.traits.linkInfo;
  // room beyond the struct: a library whose struct were larger must not write past the buffer
  const info = new Uint8Array(Math.max(64, layout.size));
  check(fn.H5Lget_info(loc, name, info, 0));
  const dv = new DataView(info.buffer);
  const kind = dv.getInt32(layout.type, true);
  if (kind === L_HARD) return { kind: 'hard' };
  if (kind !== L_SOFT && kind !== L_EXTERNAL) return { kind: 'other', type: kind };
  const value = new Uint8Array(Number(dv.getBigUint64(layout.valSize, true)));
  check(fn.H5Lget_val(loc, name, value, value.length, 0));
  const text = (from: number): [string, number] => {
    const end = value.indexOf(0, from);
    const stop = end < 0 ? value.length : end;
    return [Buffer.from(value.subarray(from, stop)).toString('utf8'), stop + 1];
  };
  if (kind === L_SOFT) return { kind: 'soft', path: text(0)[0] };
  // an external link's value: a version/flags byte, the file name and the object's path, NUL-terminated
  const [target, next] = text(1);
  return { kind: 'external', file: target, path: text(next)[0] };
}

/** H5_index_t and H5_iter_order_t values the sink and the reader iterate with */
export const INDEX_NAME = 0;
export const INDEX_CRT_ORDER = 1;
export const ITER_INC = 0;

/**
 * The names of an object's attributes: in creation order when asked for and the file tracks it
 * (nxsw's files), else in name order. `fail` throws for a name the library cannot give.
 */
export function attributeNamesOf(h5: H5Lib, obj: Hid, creationOrder: boolean, fail: () => never): string[] {
  const { fn } = h5;
  const names: string[] = [];
  let buf = new Uint8Array(256);
  let index = creationOrder ? INDEX_CRT_ORDER : INDEX_NAME;
  for (let i = 0; ; i++) {
    let n = Number(fn.H5Aget_name_by_idx(obj, '.', index, ITER_INC, i, buf, buf.length, 0));
    if (n < 0 && index === INDEX_CRT_ORDER && i === 0) {
      h5.errorStack(); // the file does not track creation order
      index = INDEX_NAME;
      i--;
      continue;
    }
    if (n < 0) {
      h5.errorStack(); // past the last attribute
      return names;
    }
    if (n >= buf.length) {
      buf = new Uint8Array(n + 1);
      n = Number(fn.H5Aget_name_by_idx(obj, '.', index, ITER_INC, i, buf, buf.length, 0));
      if (n < 0) fail();
    }
    names.push(Buffer.from(buf.buffer, 0, n).toString('utf8'));
  }
}
