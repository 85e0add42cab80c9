/**
 * The one value representation used on the whole data path: a source returns an NxValue, the
 * engine casts it to the field's element type, the sink writes it. Data is row-major; 64-bit
 * integers live in BigInt64Array/BigUint64Array and never pass through a JS number.
 */
import { NxswError } from './errors.js';

export type IntegerType = 'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';
export type FloatType = 'float32' | 'float64';
export type ElementType = IntegerType | FloatType | 'bool' | 'string';

export type NumberArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array;
export type BigArray = BigInt64Array | BigUint64Array;
/** bool data is a Uint8Array of 0/1; strings are a plain string array */
export type ValueData = NumberArray | BigArray | string[];

export interface NxValue {
  readonly type: ElementType;
  /** [] for a scalar; row-major */
  readonly shape: readonly number[];
  readonly data: ValueData;
}

export const ELEMENT_TYPES: readonly ElementType[] = [
  'int8', 'int16', 'int32', 'int64', 'uint8', 'uint16', 'uint32', 'uint64', 'float32', 'float64', 'bool', 'string',
];

/** NeXus type name → element type (spec 2.11). No type means a string field. */
const NX_TYPES: Record<string, ElementType> = {
  NX_FLOAT: 'float64', NX_FLOAT64: 'float64', NX_NUMBER: 'float64', NX_FLOAT32: 'float32',
  NX_INT: 'int64', NX_INT64: 'int64', NX_INT32: 'int32', NX_INT16: 'int16', NX_INT8: 'int8',
  NX_UINT: 'uint64', NX_UINT64: 'uint64', NX_POSINT: 'uint64', NX_UINT32: 'uint32', NX_UINT16: 'uint16', NX_UINT8: 'uint8',
  NX_CHAR: 'string', NX_DATE_TIME: 'string', ISO8601: 'string', NX_BOOLEAN: 'bool',
};

export function isNxType(name: string): boolean {
  return Object.hasOwn(NX_TYPES, name);
}

/** Element type of an NX type name; undefined (no `type`) is a string. Throws for unsupported names. */
export function elementTypeOfNx(nxType: string | undefined): ElementType {
  if (nxType === undefined || nxType === '') return 'string';
  const t = NX_TYPES[nxType.trim()];
  if (!t) throw new NxswError('CONFIG_INVALID', `unsupported NeXus type '${nxType}' (supported: ${Object.keys(NX_TYPES).join(', ')})`);
  return t;
}

export function isIntegerType(t: ElementType): t is IntegerType {
  return t.startsWith('int') || t.startsWith('uint');
}
export function isBigType(t: ElementType): t is 'int64' | 'uint64' {
  return t === 'int64' || t === 'uint64';
}
export function isNumericType(t: ElementType): boolean {
  return t !== 'string' && t !== 'bool';
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** An empty array of the element type's storage, of length n. */
export function allocate(type: ElementType, n: number): ValueData {
  switch (type) {
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'uint16': return new Uint16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'string': return new Array<string>(n).fill('');
  }
}

const INT_RANGE: Record<IntegerType, [bigint, bigint]> = {
  int8: [-128n, 127n], int16: [-32768n, 32767n], int32: [-2147483648n, 2147483647n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint8: [0n, 255n], uint16: [0n, 65535n], uint32: [0n, 4294967295n], uint64: [0n, 2n ** 64n - 1n],
};

/**
 * The canfail sentinel of spec 6.2: the maximum of an integer type, the largest finite float,
 * false for bool, '' for strings.
 */
export function failValue(type: ElementType, shape: readonly number[] = []): NxValue {
  const n = sizeOf(shape);
  const data = allocate(type, n);
  if (isIntegerType(type)) {
    const max = INT_RANGE[type][1];
    if (isBigType(type)) (data as BigArray).fill(max);
    else (data as NumberArray).fill(Number(max));
  } else if (type === 'float32') (data as Float32Array).fill(3.4028234663852886e38);
  else if (type === 'float64') (data as Float64Array).fill(Number.MAX_VALUE);
  return { type, shape: [...shape], data };
}

export function scalar(type: ElementType, v: number | bigint | string | boolean): NxValue {
  return valueFromJs(v, type);
}

export function stringValue(s: string | string[], shape?: number[]): NxValue {
  return Array.isArray(s) ? { type: 'string', shape: shape ?? [s.length], data: s } : { type: 'string', shape: [], data: [s] };
}

// ---------------------------------------------------------------------------------------------
// From JavaScript / JSON values (spec 5.4)

type Leaf = number | bigint | string | boolean | null;

function typeOfJs(v: unknown): ElementType {
  switch (typeof v) {
    case 'bigint': return 'int64';
    case 'number': return Number.isInteger(v) ? 'int64' : 'float64';
    case 'boolean': return 'bool';
    default: return 'string';
  }
}

function isTyped(x: unknown): x is NumberArray | BigArray {
  return ArrayBuffer.isView(x) && !(x instanceof DataView);
}

function typeOfTyped(a: NumberArray | BigArray): ElementType {
  if (a instanceof Int8Array) return 'int8';
  if (a instanceof Int16Array) return 'int16';
  if (a instanceof Int32Array) return 'int32';
  if (a instanceof BigInt64Array) return 'int64';
  if (a instanceof Uint8Array) return 'uint8';
  if (a instanceof Uint16Array) return 'uint16';
  if (a instanceof Uint32Array) return 'uint32';
  if (a instanceof BigUint64Array) return 'uint64';
  if (a instanceof Float32Array) return 'float32';
  return 'float64';
}

/**
 * Converts a JS value (a parsed JSON value, a driver result, a typed array) to an NxValue.
 * Rank and shape follow the first element at each nesting level; the element type is the type
 * of the first leaf, widened to float64 when integers and floats mix, to string when strings do.
 * With `want`, the leaves are converted straight to that type (the same result as castValue of
 * the natural value, without the intermediate arrays). Ragged arrays are an error naming the
 * offending index.
 */
export function valueFromJs(x: unknown, want?: ElementType): NxValue {
  if (x === null || x === undefined) throw new NxswError('VALUE_INVALID', 'the value is null');
  if (isTyped(x)) {
    const v: NxValue = { type: typeOfTyped(x), shape: [x.length], data: x.slice() as NumberArray | BigArray };
    return want ? castValue(v, want) : v;
  }
  let shape: number[];
  let leaves: Leaf[];
  if (Array.isArray(x) && want !== undefined && isNumericType(want) && !isBigType(want)) return numbersFromJs(x, want);
  if (!Array.isArray(x)) {
    if (typeof x === 'object') throw new NxswError('VALUE_INVALID', 'an object is not a value (expected a number, string, boolean or array)');
    shape = [];
    leaves = [x as Leaf];
  } else {
    shape = [];
    for (let level: unknown = x; Array.isArray(level) || isTyped(level); level = (level as ArrayLike<unknown>)[0]) {
      const len = (level as ArrayLike<unknown>).length;
      shape.push(len);
      if (len === 0) break;
    }
    leaves = new Array<Leaf>(sizeOf(shape));
    if (leaves.length > 0) flatten(x, shape, 0, leaves, 0, 'value');
  }
  if (want !== undefined && want !== 'string') return { type: want, shape, data: leavesTo(leaves, want) };
  if (want === 'string') return { type: 'string', shape, data: leaves.map((l) => leafText(l)) };
  const natural = naturalType(leaves);
  return { type: natural, shape, data: leavesTo(leaves, natural) };
}

/**
 * The fast path for numeric fields (images, spectra): the leaves go straight into the target
 * typed array, converted and range-checked on the way, without an intermediate array.
 */
function numbersFromJs(x: unknown[], want: ElementType): NxValue {
  const shape: number[] = [];
  for (let level: unknown = x; Array.isArray(level) || isTyped(level); level = (level as ArrayLike<unknown>)[0]) {
    const len = (level as ArrayLike<unknown>).length;
    shape.push(len);
    if (len === 0) break;
  }
  const out = allocate(want, sizeOf(shape)) as NumberArray;
  const integer = isIntegerType(want);
  const [lo, hi] = integer ? INT_RANGE[want as IntegerType] : [0n, 0n];
  const min = Number(lo);
  const max = Number(hi);
  const fill = (node: unknown, depth: number, offset: number, where: string): number => {
    const len = shape[depth]!;
    if (!(Array.isArray(node) || isTyped(node)) || (node as ArrayLike<unknown>).length !== len) {
      throw new NxswError('VALUE_INVALID', `ragged array: ${where} should have ${len} elements like the first one`);
    }
    const arr = node as ArrayLike<unknown>;
    if (depth < shape.length - 1) {
      for (let i = 0; i < len; i++) offset = fill(arr[i], depth + 1, offset, `${where}[${i}]`);
      return offset;
    }
    for (let i = 0; i < len; i++) {
      const l = arr[i];
      if (typeof l === 'number' && (!integer || (l >= min && l <= max))) {
        out[offset + i] = integer ? Math.trunc(l) : l;
        continue;
      }
      if (l !== null && typeof l === 'object') {
        throw new NxswError('VALUE_INVALID', Array.isArray(l) || isTyped(l) ? `ragged array: ${where}[${i}] has more nesting than the first element` : `${where}[${i}] is an object, not a value`);
      }
      try {
        out[offset + i] = integer ? Number(toBigInt(l, want as IntegerType)) : toNumber(l);
      } catch (e) {
        if (e instanceof NxswError) throw new NxswError('VALUE_INVALID', `cannot store the value as ${want}: ${e.message}`);
        throw e;
      }
    }
    return offset + len;
  };
  if (out.length > 0) fill(x, 0, 0, 'value');
  return { type: want, shape, data: out };
}

/** copies the leaves of a regular nested array into `out`, checking every level's length */
function flatten(node: unknown, shape: readonly number[], depth: number, out: Leaf[], offset: number, where: string): number {
  const len = shape[depth]!;
  if (!(Array.isArray(node) || isTyped(node)) || (node as ArrayLike<unknown>).length !== len) {
    throw new NxswError('VALUE_INVALID', `ragged array: ${where} should have ${len} elements like the first one`);
  }
  const arr = node as ArrayLike<unknown>;
  if (depth === shape.length - 1) {
    for (let i = 0; i < len; i++) {
      const l = arr[i];
      if (l !== null && typeof l === 'object') {
        throw new NxswError('VALUE_INVALID', Array.isArray(l) || isTyped(l) ? `ragged array: ${where}[${i}] has more nesting than the first element` : `${where}[${i}] is an object, not a value`);
      }
      out[offset + i] = l as Leaf;
    }
    return offset + len;
  }
  for (let i = 0; i < len; i++) offset = flatten(arr[i], shape, depth + 1, out, offset, `${where}[${i}]`);
  return offset;
}

function naturalType(leaves: readonly Leaf[]): ElementType {
  let t: ElementType | undefined;
  for (const l of leaves) {
    if (l === null || l === undefined) continue;
    const lt = typeOfJs(l);
    if (t === undefined || lt === t) t = lt;
    else if (t === 'string' || lt === 'string') return 'string';
    else if ((t === 'int64' && lt === 'float64') || (t === 'float64' && lt === 'int64')) t = 'float64';
  }
  return t ?? 'float64';
}

/** Python's str() of a JSON leaf: True/False for booleans */
function leafText(l: Leaf): string {
  if (l === null || l === undefined) return '';
  if (typeof l === 'boolean') return l ? 'True' : 'False';
  return String(l);
}

function leavesTo(leaves: readonly Leaf[], t: ElementType): ValueData {
  const n = leaves.length;
  try {
    switch (t) {
      case 'string': return leaves.map((l) => leafText(l));
      case 'bool': { const d = new Uint8Array(n); for (let i = 0; i < n; i++) d[i] = toBool(leaves[i]) ? 1 : 0; return d; }
      case 'float32': case 'float64': {
        const d = t === 'float32' ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) { const l = leaves[i]; d[i] = typeof l === 'number' ? l : toNumber(l); }
        return d;
      }
      case 'int64': case 'uint64': {
        const d = t === 'int64' ? new BigInt64Array(n) : new BigUint64Array(n);
        for (let i = 0; i < n; i++) d[i] = toBigInt(leaves[i], t);
        return d;
      }
      default: {
        const d = allocate(t, n) as NumberArray;
        const [lo, hi] = INT_RANGE[t as IntegerType];
        const min = Number(lo);
        const max = Number(hi);
        for (let i = 0; i < n; i++) {
          const l = leaves[i];
          if (typeof l === 'number' && Number.isFinite(l)) {
            const v = Math.trunc(l);
            if (v < min || v > max) throw new NxswError('VALUE_INVALID', `${v} is out of range for ${t} [${min}, ${max}]`);
            d[i] = v;
          } else d[i] = Number(toBigInt(l, t as IntegerType));
        }
        return d;
      }
    }
  } catch (e) {
    if (e instanceof NxswError) throw new NxswError('VALUE_INVALID', `cannot store the value as ${t}: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Casting (spec 2.11): the only place where a value changes element type.

function toNumber(l: unknown): number {
  if (typeof l === 'number') return l;
  if (typeof l === 'bigint') return Number(l);
  if (typeof l === 'boolean') return l ? 1 : 0;
  if (l === null || l === undefined) return 0;
  const s = String(l).trim();
  if (s === '') return 0;
  const v = Number(s);
  if (Number.isNaN(v) && !/^[+-]?nan$/i.test(s)) throw new NxswError('VALUE_INVALID', `cannot convert '${s}' to a number`);
  return v;
}

function toBigInt(l: unknown, t: IntegerType): bigint {
  let v: bigint;
  if (typeof l === 'bigint') v = l;
  else if (typeof l === 'boolean') v = l ? 1n : 0n;
  else if (typeof l === 'number') {
    if (!Number.isFinite(l)) throw new NxswError('VALUE_INVALID', `cannot convert ${l} to ${t}`);
    v = BigInt(Math.trunc(l));
  } else {
    const s = l === null || l === undefined ? '' : String(l).trim();
    if (s === '') v = 0n;
    else if (/^[+-]?\d+$/.test(s)) v = BigInt(s);
    else {
      const f = Number(s);
      if (!Number.isFinite(f)) throw new NxswError('VALUE_INVALID', `invalid literal for ${t}: '${s}'`);
      v = BigInt(Math.trunc(f));
    }
  }
  const [lo, hi] = INT_RANGE[t];
  if (v < lo || v > hi) throw new NxswError('VALUE_INVALID', `${v} is out of range for ${t} [${lo}, ${hi}]`);
  return v;
}

function toBool(l: unknown): boolean {
  if (typeof l === 'string') {
    const s = l.trim().toLowerCase();
    return !(s === '' || s === 'false' || s === '0');
  }
  if (typeof l === 'bigint') return l !== 0n;
  return Boolean(l);
}

function leafAt(v: NxValue, i: number): number | bigint | string | boolean {
  const d = v.data;
  if (v.type === 'bool') return (d as Uint8Array)[i] !== 0;
  return (d as ArrayLike<number | bigint | string>)[i]!;
}

function leafToString(v: NxValue, i: number): string {
  const l = leafAt(v, i);
  if (v.type === 'bool') return l ? 'True' : 'False';
  if (typeof l === 'number' && v.type.startsWith('float') && Number.isInteger(l)) return l.toFixed(1);
  return String(l);
}

/** Casts to the target element type per spec 2.11; throws VALUE_INVALID naming the bad element. */
export function castValue(v: NxValue, target: ElementType): NxValue {
  if (v.type === target) return v;
  const n = v.data.length;
  const out = allocate(target, n);
  try {
    for (let i = 0; i < n; i++) {
      if (target === 'string') (out as string[])[i] = leafToString(v, i);
      else if (target === 'bool') (out as Uint8Array)[i] = toBool(leafAt(v, i)) ? 1 : 0;
      else if (isBigType(target)) (out as BigArray)[i] = toBigInt(leafAt(v, i), target);
      else if (isIntegerType(target)) (out as NumberArray)[i] = Number(toBigInt(leafAt(v, i), target));
      else (out as NumberArray)[i] = toNumber(leafAt(v, i));
    }
  } catch (e) {
    if (e instanceof NxswError) throw new NxswError('VALUE_INVALID', `cannot cast ${v.type} to ${target}: ${e.message}`);
    throw e;
  }
  return { type: target, shape: v.shape, data: out };
}

/** Plain JS view of a value (nested arrays), for scripts and JSON output. */
export function valueToJs(v: NxValue): unknown {
  const leaf = (i: number): unknown => {
    const l = leafAt(v, i);
    return typeof l === 'bigint' && l >= BigInt(Number.MIN_SAFE_INTEGER) && l <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(l) : l;
  };
  if (v.shape.length === 0) return leaf(0);
  const build = (depth: number, offset: number): unknown[] => {
    const len = v.shape[depth]!;
    const stride = sizeOf(v.shape.slice(depth + 1));
    const out: unknown[] = [];
    for (let k = 0; k < len; k++) out.push(depth === v.shape.length - 1 ? leaf(offset + k) : build(depth + 1, offset + k * stride));
    return out;
  };
  return build(0, 0);
}

/** Checks the invariant data.length === product(shape) and a known type. */
export function checkValue(v: NxValue, where = 'value'): void {
  if (!ELEMENT_TYPES.includes(v.type)) throw new NxswError('VALUE_INVALID', `${where}: unknown element type '${String(v.type)}'`);
  if (!Array.isArray(v.shape) || v.shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NxswError('VALUE_INVALID', `${where}: bad shape ${JSON.stringify(v.shape)}`);
  if (v.data.length !== sizeOf(v.shape)) throw new NxswError('VALUE_INVALID', `${where}: ${v.data.length} elements for shape [${v.shape.join(',')}]`);
}
