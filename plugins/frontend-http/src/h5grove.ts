/**
 * The h5grove protocol (https://github.com/silx-kit/h5grove) as H5Web's H5GroveProvider uses it:
 * `meta`, `attr`, `data` and `paths` of one path in one file (tree.ts: an open file through the
 * writer's handles, a closed one through the sink's reader). Soft links inside the file are
 * followed (as h5grove does); external links are shown as such. Data is read by hyperslab: a
 * request for more than `maxElements` elements is refused.
 */
import { NxswError, type ElementType, type NxValue, type ReadAttribute } from '@nxsw/core';
import { GroveError } from './errors.js';
import type { GroveFile, TreeGroup, TreeNode } from './tree.js';

export { GroveError };

/** h5grove's type description (H5T class 0 integer, 1 float, 3 string) */
export interface GroveType {
  class: number;
  size: number;
  order?: number;
  sign?: number;
  cset?: number;
  strPad?: number;
  vlen?: boolean;
}

export interface GroveAttribute {
  name: string;
  type: GroveType;
  shape: number[];
}

export type GroveEntity =
  | { name: string; kind: 'group'; attributes: GroveAttribute[]; children?: GroveEntity[] }
  | { name: string; kind: 'dataset'; type: GroveType; shape: number[]; attributes: GroveAttribute[] }
  | { name: string; kind: 'soft_link'; target_path: string }
  | { name: string; kind: 'external_link'; target_file: string; target_path: string };

const SIZE: Record<ElementType, number> = {
  int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8, string: -1,
};

export function groveType(t: ElementType): GroveType {
  if (t === 'string') return { class: 3, size: -1, cset: 1, strPad: 0, vlen: true };
  if (t === 'float32' || t === 'float64') return { class: 1, size: SIZE[t], order: 0 };
  return { class: 0, size: SIZE[t], order: 0, sign: t.startsWith('int') ? 1 : 0 };
}

/** the node at `path`, soft links followed; undefined when nothing is there */
function resolve(root: TreeGroup, path: string): TreeNode | undefined {
  let node: TreeNode = root;
  for (const part of path.split('/').filter(Boolean)) {
    if (node.kind !== 'group') return undefined;
    const next: TreeNode | undefined = node.child(part);
    if (!next) return undefined;
    node = next;
  }
  return node;
}

function found(file: GroveFile, path: string): TreeNode {
  const r = resolve(file.root, path);
  if (!r) throw new GroveError(404, `${path} is not a valid path`);
  return r;
}

function attributesOf(attrs: readonly ReadAttribute[]): GroveAttribute[] {
  // a type the value model lacks (a compound attribute in a file another program changed) is left out
  return attrs.flatMap((a) => (a.type ? [{ name: a.name, type: groveType(a.type), shape: [...a.shape] }] : []));
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).at(-1) ?? '';
}

function entity(name: string, r: TreeNode, withChildren: boolean): GroveEntity {
  switch (r.kind) {
    case 'external_link': return { name, kind: 'external_link', target_file: r.file, target_path: r.target };
    case 'soft_link': return { name, kind: 'soft_link', target_path: r.target };
    case 'other': throw new GroveError(400, `${name}: ${r.reason}`);
    case 'dataset':
      if (!r.type) throw new GroveError(400, `${r.path} has a type the live view does not read`);
      return { name, kind: 'dataset', type: groveType(r.type), shape: [...r.shape], attributes: attributesOf(r.attributes()) };
  }
  const group: GroveEntity = { name, kind: 'group', attributes: attributesOf(r.attributes()) };
  if (withChildren) {
    group.children = r.names().flatMap((child) => {
      const c = r.child(child);
      if (!c || c.kind === 'other' || (c.kind === 'dataset' && !c.type)) return [];
      return [entity(child, c, false)];
    });
  }
  return group;
}

export function meta(file: GroveFile, path: string): GroveEntity {
  return entity(baseName(path), found(file, path), true);
}

/** a flat array in row-major order → nested arrays of `shape` (a scalar for shape []) */
function nest(flat: readonly unknown[], shape: readonly number[]): unknown {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return flat;
  const size = flat.length / shape[0]!;
  return Array.from({ length: shape[0]! }, (_, i) => nest(flat.slice(i * size, (i + 1) * size), shape.slice(1)));
}

function jsonValues(v: NxValue): unknown[] {
  const data = v.data as ArrayLike<unknown>;
  return Array.from(data, (x) => (typeof x === 'bigint' ? Number(x) : x));
}

export function attributes(file: GroveFile, path: string): Record<string, unknown> {
  const r = found(file, path);
  if (r.kind === 'external_link') throw new GroveError(400, `${path} is an external link: its attributes are in ${r.file}`);
  if (r.kind !== 'group' && r.kind !== 'dataset') throw new GroveError(400, `${path} is ${r.kind === 'soft_link' ? `a soft link to ${r.target}, which does not exist` : r.reason}`);
  const out: Record<string, unknown> = {};
  for (const a of r.attributes()) {
    const v = a.type ? a.value() : undefined;
    if (v) out[a.name] = nest(jsonValues(v), v.shape);
  }
  return out;
}

/**
 * Every path below `path` (a group), as h5grove's /paths/ lists them for H5Web's search: the group
 * itself first, then each link name depth first. Soft links are listed but not entered (they may
 * loop); at most `limit` paths.
 */
export function paths(file: GroveFile, path: string, limit: number): string[] {
  const r = found(file, path);
  if (r.kind !== 'group') throw new GroveError(400, `${path} is not a group`);
  const base = `/${path.split('/').filter(Boolean).join('/')}`;
  const out = [base];
  const walk = (g: TreeGroup, at: string, depth: number): void => {
    for (const name of g.names()) {
      const p = at === '/' ? `/${name}` : `${at}/${name}`;
      if (out.length >= limit) throw new GroveError(413, `${base} holds more than ${limit} paths, the live view's limit`);
      out.push(p);
      const c = g.child(name);
      // a group reached through a soft link has another path than this one: not entered
      if (c?.kind === 'group' && c.path === p && depth < MAX_DEPTH) walk(c, p, depth + 1);
    }
  };
  walk(r, base, 0);
  return out;
}

const MAX_DEPTH = 64;

/** A numpy-style selection ("0,:", "2:10", ":,3") over `shape` → hyperslab and result shape. */
export function parseSelection(selection: string | undefined, shape: readonly number[]): { start: number[]; count: number[]; shape: number[] } {
  if (selection === undefined || selection === '') return { start: shape.map(() => 0), count: [...shape], shape: [...shape] };
  const parts = selection.replace(/^\[|\]$/g, '').split(',').map((s) => s.trim());
  if (parts.length > shape.length) throw new GroveError(400, `selection '${selection}' has ${parts.length} axes; the dataset has ${shape.length}`);
  const start: number[] = [];
  const count: number[] = [];
  const out: number[] = [];
  shape.forEach((dim, axis) => {
    const p = parts[axis] ?? ':';
    const int = (s: string, dflt: number): number => {
      if (s === '') return dflt;
      const n = Number(s);
      if (!Number.isInteger(n)) throw new GroveError(400, `selection '${selection}': '${s}' on axis ${axis} is not an integer`);
      return n < 0 ? n + dim : n;
    };
    if (!p.includes(':')) {
      const i = int(p, 0);
      if (i < 0 || i >= dim) throw new GroveError(400, `selection '${selection}': index ${p} is outside axis ${axis} of length ${dim}`);
      start.push(i);
      count.push(1);
      return;
    }
    const [a = '', b = '', step] = p.split(':');
    if (step !== undefined && step !== '' && step !== '1') throw new GroveError(400, `selection '${selection}': steps other than 1 are not supported`);
    const from = Math.min(Math.max(int(a, 0), 0), dim);
    const to = Math.min(Math.max(int(b, dim), from), dim);
    start.push(from);
    count.push(to - from);
    out.push(to - from);
  });
  return { start, count, shape: out };
}

export interface DataResult {
  /** the values as bytes in the dataset's own little-endian type (format=bin) */
  readonly binary?: Buffer;
  /** the values as JSON (format=json, strings) */
  readonly json?: unknown;
}

export function data(file: GroveFile, path: string, selection: string | undefined, format: string, flatten: boolean, maxElements: number): DataResult {
  const field = found(file, path);
  if (field.kind !== 'dataset') throw new GroveError(400, `${path} is not a dataset`);
  if (!field.readSlice) throw new GroveError(501, `the sink of ${file.path} cannot read back slices`);
  const sel = parseSelection(selection, field.shape);
  const n = sel.count.reduce((a, b) => a * b, 1);
  if (n > maxElements) throw new GroveError(413, `${path}: the selection has ${n} elements, more than the live view's limit of ${maxElements}; select a slice`);
  let v: NxValue | undefined;
  try {
    v = field.readSlice(sel.start, sel.count);
  } catch (e) {
    throw e instanceof NxswError ? new GroveError(400, e.message) : e;
  }
  if (!v) throw new GroveError(400, `${path} has a type the live view does not read`);
  if (format === 'bin') {
    if (v.type === 'string') throw new GroveError(400, `${path} holds strings: request format=json`);
    const d = v.data as Exclude<NxValue['data'], string[]>;
    return { binary: Buffer.from(d.buffer, d.byteOffset, d.byteLength) };
  }
  const flat = jsonValues(v);
  return { json: flatten ? (sel.shape.length === 0 ? flat[0] : flat) : nest(flat, sel.shape) };
}
