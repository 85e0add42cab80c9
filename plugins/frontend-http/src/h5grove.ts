/**
 * The h5grove protocol (https://github.com/silx-kit/h5grove) as H5Web's H5GroveProvider uses it:
 * `meta`, `attr` and `data` of one path in one file, read through the writer's own open sink
 * handles. Soft links inside the file are followed (as h5grove does); external links are shown
 * as such. Data is read by hyperslab: a request for more than `maxElements` elements is refused.
 */
import { NxswError, type ElementType, type NxValue, type SinkField, type SinkFile, type SinkGroup, type SinkNode } from '@nxsw/core';

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

/** h5grove's messages; H5Web recognises "not a valid path" */
export class GroveError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const SIZE: Record<ElementType, number> = {
  int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8, string: -1,
};

export function groveType(t: ElementType): GroveType {
  if (t === 'string') return { class: 3, size: -1, cset: 1, strPad: 0, vlen: true };
  if (t === 'float32' || t === 'float64') return { class: 1, size: SIZE[t], order: 0 };
  return { class: 0, size: SIZE[t], order: 0, sign: t.startsWith('int') ? 1 : 0 };
}

type Resolved = { kind: 'group'; node: SinkGroup } | { kind: 'dataset'; node: SinkField } | { kind: 'external'; file: string; path: string };

const MAX_LINK_DEPTH = 16;

/** Follows `path` from the root, resolving soft links; undefined when nothing is there. */
function resolve(root: SinkGroup, path: string, depth = 0): Resolved | undefined {
  if (depth > MAX_LINK_DEPTH) throw new GroveError(400, `Cannot resolve ${path}: more than ${MAX_LINK_DEPTH} soft links`);
  const parts = path.split('/').filter(Boolean);
  let group = root;
  for (let i = 0; i < parts.length; i++) {
    const name = parts[i]!;
    const last = i === parts.length - 1;
    if (!group.keys().includes(name)) return undefined;
    const link = group.link?.(name);
    if (link?.file !== undefined) return last ? { kind: 'external', file: link.file, path: link.path } : undefined;
    if (link) {
      const target = resolve(root, link.path, depth + 1);
      if (last || !target) return target;
      if (target.kind !== 'group') return undefined;
      group = target.node;
      continue;
    }
    const sub = group.openGroup(name);
    if (sub) {
      group = sub;
      continue;
    }
    if (!last) return undefined;
    const field = group.openField(name);
    return field ? { kind: 'dataset', node: field } : undefined;
  }
  return { kind: 'group', node: group };
}

function found(root: SinkGroup, path: string): Resolved {
  const r = resolve(root, path);
  if (!r) throw new GroveError(404, `${path} is not a valid path`);
  return r;
}

function attributesOf(node: SinkNode): GroveAttribute[] {
  return node.attributeNames().flatMap((name) => {
    const v = node.getAttribute(name);
    return v ? [{ name, type: groveType(v.type), shape: [...v.shape] }] : [];
  });
}

function baseName(path: string): string {
  return path.split('/').filter(Boolean).at(-1) ?? '';
}

function entity(root: SinkGroup, name: string, r: Resolved, withChildren: boolean, path: string): GroveEntity {
  if (r.kind === 'external') return { name, kind: 'external_link', target_file: r.file, target_path: r.path };
  if (r.kind === 'dataset') return { name, kind: 'dataset', type: groveType(r.node.type), shape: [...r.node.shape], attributes: attributesOf(r.node) };
  const group: GroveEntity = { name, kind: 'group', attributes: attributesOf(r.node) };
  if (withChildren) {
    const parent = r.node;
    group.children = parent.keys().map((child) => {
      const childPath = `${path.replace(/\/+$/, '')}/${child}`;
      const c = resolve(root, childPath);
      // a dangling soft link stays a link, as h5grove shows it
      if (!c) return { name: child, kind: 'soft_link', target_path: parent.link?.(child)?.path ?? '' };
      return entity(root, child, c, false, childPath);
    });
  }
  return group;
}

export function meta(file: SinkFile, path: string): GroveEntity {
  return entity(file.root, baseName(path), found(file.root, path), true, path);
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

export function attributes(file: SinkFile, path: string): Record<string, unknown> {
  const r = found(file.root, path);
  if (r.kind === 'external') throw new GroveError(400, `${path} is an external link: its attributes are in ${r.file}`);
  const out: Record<string, unknown> = {};
  for (const name of r.node.attributeNames()) {
    const v = r.node.getAttribute(name);
    if (v) out[name] = nest(jsonValues(v), v.shape);
  }
  return out;
}

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

export function data(file: SinkFile, path: string, selection: string | undefined, format: string, flatten: boolean, maxElements: number): DataResult {
  const r = found(file.root, path);
  if (r.kind !== 'dataset') throw new GroveError(400, `${path} is not a dataset`);
  const field = r.node;
  if (!field.readSlice) throw new GroveError(501, `the sink writing ${file.path} cannot read back slices`);
  const sel = parseSelection(selection, field.shape);
  const n = sel.count.reduce((a, b) => a * b, 1);
  if (n > maxElements) throw new GroveError(413, `${path}: the selection has ${n} elements, more than the live view's limit of ${maxElements}; select a slice`);
  let v: NxValue;
  try {
    v = field.readSlice(sel.start, sel.count);
  } catch (e) {
    throw e instanceof NxswError ? new GroveError(400, e.message) : e;
  }
  if (format === 'bin') {
    if (v.type === 'string') throw new GroveError(400, `${path} holds strings: request format=json`);
    const d = v.data as Exclude<NxValue['data'], string[]>;
    return { binary: Buffer.from(d.buffer, d.byteOffset, d.byteLength) };
  }
  const flat = jsonValues(v);
  return { json: flatten ? (sel.shape.length === 0 ? flat[0] : flat) : nest(flat, sel.shape) };
}
