/**
 * Read-only access to an HDF5 file's structure (SinkFactory.openReader) on h5wasm's high-level
 * API: groups, datasets with type and shape, attributes; dataset values only when small, so a
 * file of any number of records is inspected in the time its metadata takes.
 */
import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import * as h5wasm from 'h5wasm/node';
import {
  NxswError, valueFromJs,
  type ElementType, type NxValue, type ReadAttribute, type ReadField, type ReadGroup, type ReadNode, type SinkReader,
} from '@nxsw/core';
import { loadModule, hdf5Reason } from './h5.js';

type Metadata = h5wasm.Dataset['metadata'];

const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_ENUM = 8;

/** the element type of an HDF5 type; undefined for types the value model lacks */
function elementType(m: Metadata): ElementType | undefined {
  if (m.type === H5T_STRING) return 'string';
  if (m.type === H5T_FLOAT) return m.size === 4 ? 'float32' : m.size === 8 ? 'float64' : undefined;
  if (m.type === H5T_INTEGER) return `${m.signed ? 'int' : 'uint'}${m.size * 8}` as ElementType;
  if (m.type === H5T_ENUM) {
    // h5py's bool: an 8-bit enum {FALSE: 0, TRUE: 1}
    const members = Object.keys(m.enum_type?.members ?? {}).map((k) => k.toUpperCase()).sort();
    return members.join(',') === 'FALSE,TRUE' ? 'bool' : undefined;
  }
  return undefined;
}

function typeLabel(m: Metadata): string {
  const t = elementType(m);
  if (t === 'string') return m.vlen ? 'variable-length string' : `fixed-length string (${m.size} bytes)`;
  if (t === 'bool') return 'bool (enum)';
  if (t) return t;
  return ({ 2: 'time', 4: 'bitfield', 5: 'opaque', 6: 'compound', 7: 'reference', 8: 'enum', 9: 'variable-length sequence', 10: 'array' } as Record<number, string>)[m.type] ?? `HDF5 type class ${m.type}`;
}

/** an h5wasm value as an NxValue of the stored element type */
function toValue(raw: unknown, type: ElementType, shape: readonly number[]): NxValue | undefined {
  try {
    // a typed array converts in one copy (a slice of many rows); the rest element by element
    if (ArrayBuffer.isView(raw) && type !== 'bool') return { ...valueFromJs(raw, type), shape: shape.length ? [...shape] : [] };
    const flat = ArrayBuffer.isView(raw) ? Array.from(raw as unknown as ArrayLike<number | bigint>) : Array.isArray(raw) ? raw.flat(Infinity) : [raw];
    const v = valueFromJs(flat.map((x) => (type === 'bool' ? Boolean(x) : x)), type);
    return { ...v, shape: shape.length ? [...shape] : [] };
  } catch {
    return undefined;
  }
}

/**
 * Attributes by name; each one's type and value are read when asked for, because every HDF5 call
 * re-opens the object by path (a millisecond for a chunked dataset with a long record axis).
 */
function attributesOf(obj: h5wasm.Group | h5wasm.Dataset): ReadAttribute[] {
  const names = h5wasm.Module.get_attribute_names(obj.file_id, obj.path);
  return names.map((name): ReadAttribute => {
    let meta: Metadata | undefined;
    const metadata = (): Metadata => (meta ??= h5wasm.Module.get_attribute_metadata(obj.file_id, obj.path, name));
    return {
      name,
      get type() {
        return elementType(metadata());
      },
      get shape() {
        return metadata().shape ?? [];
      },
      value() {
        const type = elementType(metadata());
        return type ? toValue(obj.get_attribute(name, false), type, metadata().shape ?? []) : undefined;
      },
    };
  });
}

class Reader implements SinkReader {
  readonly root: ReadGroup;
  constructor(readonly path: string, private readonly file: h5wasm.File) {
    this.root = this.group(file, '/');
  }

  private node(path: string): ReadNode {
    let obj: ReturnType<h5wasm.File['get']>;
    try {
      obj = this.file.get(path);
    } catch (e) {
      return { kind: 'unresolved', path, reason: hdf5Reason(e) };
    }
    // a soft link that resolves is followed; its value says what it stands for
    const softLink = obj instanceof h5wasm.Group || obj instanceof h5wasm.Dataset ? this.file.get_link(path) ?? undefined : undefined;
    if (obj instanceof h5wasm.Group) return this.group(obj, path, softLink);
    if (obj instanceof h5wasm.Dataset) return this.field(obj, path, softLink);
    if (obj instanceof h5wasm.ExternalLink) return { kind: 'unresolved', path, reason: `an external link to ${obj.filename}:${obj.obj_path}`, link: { file: obj.filename, path: obj.obj_path } };
    if (obj instanceof h5wasm.BrokenSoftLink) return { kind: 'unresolved', path, reason: `a soft link to ${obj.target}, which does not exist`, link: { path: obj.target } };
    return { kind: 'unresolved', path, reason: 'an object that is neither a group nor a dataset' };
  }

  private group(g: h5wasm.Group, path: string, softLink?: string): ReadGroup {
    return {
      kind: 'group', path, ...(softLink === undefined ? {} : { softLink }),
      attributes: () => attributesOf(g),
      children: () => g.keys().map((name) => ({ name, node: this.node(path === '/' ? `/${name}` : `${path}/${name}`) })),
    };
  }

  private field(d: h5wasm.Dataset, path: string, softLink?: string): ReadField {
    const m = d.metadata;
    const type = elementType(m);
    const shape = m.shape ?? [];
    return {
      kind: 'field', path, type, typeLabel: typeLabel(m), shape, ...(softLink === undefined ? {} : { softLink }),
      attributes: () => attributesOf(d),
      read: (maxElements) => {
        const n = shape.reduce((a, b) => a * b, 1);
        if (!type || n > maxElements) return undefined;
        return toValue(d.value, type, shape);
      },
      readSlice: (start, count) => {
        if (start.length !== shape.length || count.length !== shape.length || start.some((x, i) => !Number.isInteger(x) || x < 0 || !Number.isInteger(count[i]) || count[i]! < 0 || x + count[i]! > shape[i]!)) {
          throw new NxswError('VALUE_INVALID', `${this.path}: ${path}: the slice start [${start.join(',')}] count [${count.join(',')}] is outside the shape [${shape.join(',')}]`);
        }
        if (!type) return undefined;
        if (shape.length === 0 || count.every((c, i) => c === shape[i])) return toValue(d.value, type, shape);
        if (count.includes(0)) return toValue([], type, count);
        return toValue(d.slice(start.map((x, i) => [x, x + count[i]!])), type, count);
      },
    };
  }

  close(): void {
    this.file.close();
  }
}

export async function openReader(path: string): Promise<SinkReader> {
  const file = resolvePath(path);
  if (!existsSync(file)) throw new NxswError('FILE_ERROR', `${file}: no such file`);
  await loadModule();
  let f: h5wasm.File;
  try {
    f = new h5wasm.File(file, 'r');
  } catch (e) {
    throw new NxswError('FILE_ERROR', `${file}: cannot open it as an HDF5 file: ${hdf5Reason(e)}`, { cause: e });
  }
  return new Reader(file, f);
}
