/** Query result → NxValue, per `<query format>`. */
import { NxswError, type NxValue } from '@nxsw/core';
import type { SqlColumnKind, SqlResult } from './driver.js';

export type QueryFormat = 'SCALAR' | 'SPECTRUM' | 'IMAGE';
type Leaf = bigint | number | string | boolean | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const INTEGER = /^[+-]?\d+$/;
const SQL_DATETIME = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d)/;
const utf8 = new TextDecoder();

function isoString(d: Date): string {
  return Number.isNaN(d.getTime()) ? String(d) : d.toISOString();
}

/** '2024-05-01 12:00:00+02' → '2024-05-01T12:00:00+02:00' (SQL text to ISO 8601) */
export function isoFromSqlText(s: string): string {
  if (!SQL_DATETIME.test(s)) return s;
  return s.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00');
}

function jsonText(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** One cell to a leaf of known JS type, guided by the column kind. */
export function leafOf(v: unknown, kind: SqlColumnKind): Leaf {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return isoString(v);
  if (v instanceof Uint8Array) return utf8.decode(v);
  switch (kind) {
    case 'bool':
      if (typeof v === 'string') return !['', '0', 'f', 'false', 'n', 'no'].includes(v.trim().toLowerCase());
      return typeof v === 'bigint' ? v !== 0n : Boolean(v);
    case 'int':
      if (typeof v === 'bigint') return v;
      if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
      if (typeof v === 'string' && INTEGER.test(v.trim())) return BigInt(v.trim());
      break;
    case 'decimal':
      if (typeof v === 'string') {
        const s = v.trim();
        // an integral decimal (COUNT, SUM, NUMERIC(p,0)) stays exact; a scaled one is a float
        if (INTEGER.test(s)) return BigInt(s);
        const f = Number(s);
        return Number.isNaN(f) && !/^nan$/i.test(s) ? s : f;
      }
      if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      break;
    case 'float':
      if (typeof v === 'string') { const f = Number(v); return Number.isNaN(f) && !/nan/i.test(v) ? v : f; }
      if (typeof v === 'bigint') return Number(v);
      break;
    case 'datetime':
      if (typeof v === 'string') return isoFromSqlText(v);
      break;
    case 'string':
      return typeof v === 'string' ? v : typeof v === 'object' ? jsonText(v) : String(v);
    default:
      break;
  }
  if (typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  return jsonText(v);
}

/**
 * Leaves to one typed value. Element type from the data: all booleans → bool; integers → int64
 * (uint64 when needed and non-negative); any float → float64; any string → string (others
 * printed). NULLs become NaN in numeric arrays (an int array with NULLs becomes float64), '' in
 * string arrays, and are an error in a bool array.
 */
export function leavesToValue(leaves: readonly Leaf[], shape: number[], where: (i: number) => string): NxValue {
  let str = false, flt = false, int = false, bool = false, nul = false;
  let bigMax = 0n, bigMin = 0n;
  for (const l of leaves) {
    if (l === null) nul = true;
    else if (typeof l === 'string') str = true;
    else if (typeof l === 'number') flt = true;
    else if (typeof l === 'boolean') bool = true;
    else { int = true; if (l > bigMax) bigMax = l; if (l < bigMin) bigMin = l; }
  }
  const n = leaves.length;
  if (str) {
    const data = leaves.map((l) => (l === null ? '' : String(l)));
    return { type: 'string', shape, data };
  }
  if (!flt && !int && !bool) throw new NxswError('DATA_NOT_FOUND', 'the query returned only NULL values');
  if (bool && !flt && !int) {
    if (nul) throw new NxswError('VALUE_INVALID', `NULL at ${where(leaves.indexOf(null))} in a boolean result`);
    return { type: 'bool', shape, data: Uint8Array.from(leaves, (l) => (l ? 1 : 0)) };
  }
  const fitsInt64 = bigMax <= INT64_MAX && bigMin >= INT64_MIN;
  if (!flt && !nul && fitsInt64) {
    const data = new BigInt64Array(n);
    leaves.forEach((l, i) => { data[i] = typeof l === 'bigint' ? l : l ? 1n : 0n; });
    return { type: 'int64', shape, data };
  }
  if (!flt && !nul && bigMin >= 0n && bigMax <= UINT64_MAX) {
    const data = new BigUint64Array(n);
    leaves.forEach((l, i) => { data[i] = typeof l === 'bigint' ? l : l ? 1n : 0n; });
    return { type: 'uint64', shape, data };
  }
  const data = new Float64Array(n);
  leaves.forEach((l, i) => { data[i] = l === null ? NaN : typeof l === 'boolean' ? (l ? 1 : 0) : Number(l); });
  return { type: 'float64', shape, data };
}

/**
 * SCALAR: first column of the first row; SPECTRUM: the single column over all rows, or the first
 * row when there are several columns; IMAGE: all rows, shape [rows, columns].
 */
export function resultToValue(result: SqlResult, format: QueryFormat): NxValue {
  const { columns, rows } = result;
  if (columns.length === 0) throw new NxswError('DATASOURCE_CONFIG', 'the statement returns no result set (not a query)');
  if (rows.length === 0) throw new NxswError('DATA_NOT_FOUND', 'the query returned no rows');
  const ncol = columns.length;
  if (format === 'SCALAR') {
    const leaf = leafOf(rows[0]![0], columns[0]!.kind);
    if (leaf === null) throw new NxswError('DATA_NOT_FOUND', `the query returned NULL in column '${columns[0]!.name}' of the first row`);
    return leavesToValue([leaf], [], () => 'row 0');
  }
  if (format === 'SPECTRUM') {
    if (ncol === 1) {
      const kind = columns[0]!.kind;
      return leavesToValue(rows.map((r) => leafOf(r[0], kind)), [rows.length], (i) => `row ${i}`);
    }
    const first = rows[0]!;
    return leavesToValue(columns.map((c, j) => leafOf(first[j], c.kind)), [ncol], (j) => `column '${columns[j]!.name}'`);
  }
  const leaves: Leaf[] = [];
  for (const r of rows) for (let j = 0; j < ncol; j++) leaves.push(leafOf(r[j], columns[j]!.kind));
  return leavesToValue(leaves, [rows.length, ncol], (i) => `row ${Math.floor(i / ncol)}, column '${columns[i % ncol]!.name}'`);
}
