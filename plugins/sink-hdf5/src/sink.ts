/**
 * The HDF5 sink: SinkFactory / SinkFile / SinkGroup / SinkField on h5wasm's low-level Module.
 *
 * Appends are buffered per dataset in JS and written as one resize + one hyperslab write per
 * block (h5wasm re-opens a dataset by path on every call and drops the chunk cache, so per-row
 * calls cost a chunk read and write each). Datasets h5wasm cannot create as such (bool as h5py's
 * enum, several filters) are created with a placeholder and fixed in the object header while the
 * file is briefly closed (see ohdr.ts); until then their data stays in JS. Bool attributes are
 * patched the same way at the next flush or close; where the header cannot be patched (version-1
 * object headers of files from other writers, SWMR mode, dense attribute storage beyond the
 * root's direct blocks, huge attributes) they are written as int8 0/1 instead.
 */
import { rmSync } from 'node:fs';
import { resolve as resolvePath, posix } from 'node:path';
import {
  NxswError, childPath, checkNodeName, valueToWrite, blockToAppend, type FieldTarget, checkOutputPath, chunkShape, chunkPolicy, checkValue, sizeOf, allocate,
  type ElementType, type NxValue, type ValueData, type BigArray, type NumberArray,
  type ChunkPolicy, type ChunkOptions, type SinkFactory, type SinkFile, type SinkGroup, type SinkField, type SinkOpenOptions, type SinkReader, type FieldSpec, type FilterSpec,
} from '@nxsw/core';
import { loadModule, hdf5Version, h5call, UNLIMITED, type H5Module } from './h5.js';
import { FileLock, lockPolicy } from './lock.js';
import { openReader } from './reader.js';
import {
  patchObjectHeader, patchBoolAttributes, boolEnumDatatype, pipelineMessage, MSG_DATATYPE, MSG_PIPELINE, BOOL_PLACEHOLDER_MEMBER, type EncodedFilter,
} from './ohdr.js';

export type Libver = 'v18' | 'v110' | 'v112' | 'v114' | 'v200' | 'latest';

/** chunkBytes, chunkRecords, maxChunkBytes: core's ChunkOptions (the rule is core's chunkShape) */
export interface Hdf5SinkOptions extends ChunkOptions {
  /**
   * Lower HDF5 format bound (the upper one is at least v110, so HDF5 1.10 reads the files).
   * Default: v110 for files opened with swmr (SWMR needs superblock 3), else v18: with superblock 3
   * HDF5 >= 1.10 marks a file open for writing and refuses non-SWMR readers until it is closed.
   */
  readonly libver?: Libver;
  /** buffered bytes per dataset that force a write before the next flush, default 16 MiB */
  readonly blockBytes?: number;
  /**
   * take HDF5's file lock (flock) on the output file while it is written, as the HDF5 library does,
   * default true; HDF5_USE_FILE_LOCKING=FALSE in the environment turns it off as well
   */
  readonly fileLocking?: boolean;
  /** record creation order of links and attributes (h5py lists them in that order), default true */
  readonly trackOrder?: boolean;
}

interface Resolved { libver: Libver | undefined; chunk: ChunkPolicy; blockBytes: number; fileLocking: boolean; trackOrder: boolean }

const MAX_WRITE_BYTES = 64 << 20; // one hyperslab write at most; keeps the wasm heap (max 2 GiB, never shrinks) small

interface TypeInfo { type: number; size: number; signed: boolean; vlen: boolean; cset?: number }
const H5T_INTEGER = 0;
const H5T_FLOAT = 1;
const H5T_STRING = 3;
const H5T_COMPOUND = 6;
const H5T_ENUM = 8;
const CSET_UTF8 = 1;

/** a placeholder attribute that keeps free space in a patched dataset's object header */
const HEADER_RESERVE = '_nxsw_header_reserve';
const HEADER_RESERVE_BYTES = 96;

function typeInfo(t: ElementType): TypeInfo {
  switch (t) {
    case 'int8': case 'bool': return { type: H5T_INTEGER, size: 1, signed: true, vlen: false };
    case 'uint8': return { type: H5T_INTEGER, size: 1, signed: false, vlen: false };
    case 'int16': return { type: H5T_INTEGER, size: 2, signed: true, vlen: false };
    case 'uint16': return { type: H5T_INTEGER, size: 2, signed: false, vlen: false };
    case 'int32': return { type: H5T_INTEGER, size: 4, signed: true, vlen: false };
    case 'uint32': return { type: H5T_INTEGER, size: 4, signed: false, vlen: false };
    case 'int64': return { type: H5T_INTEGER, size: 8, signed: true, vlen: false };
    case 'uint64': return { type: H5T_INTEGER, size: 8, signed: false, vlen: false };
    case 'float32': return { type: H5T_FLOAT, size: 4, signed: false, vlen: false };
    case 'float64': return { type: H5T_FLOAT, size: 8, signed: false, vlen: false };
    case 'string': return { type: H5T_STRING, size: 4, signed: false, vlen: true, cset: CSET_UTF8 };
  }
}

/** Size of one element in the file (a vlen string is a 16-byte global heap id). */
function fileElemSize(t: ElementType): number {
  return t === 'string' ? 16 : typeInfo(t).size;
}

function bytesOf(data: NumberArray | BigArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const big = (a: readonly number[]): bigint[] => a.map((x) => BigInt(x));

/** operations that change nothing in the file (they do not make a flush necessary) */
const READ_ONLY: ReadonlySet<string> = new Set(['list', 'list attributes of', 'look up', 'open dataset', 'read attribute', 'read', 'locate']);

/** The open file: its h5wasm id (which changes when the file is reopened after a header patch). */
class FileState {
  fid: bigint;
  closed = false;
  swmr = false;
  readonly dirty = new Set<Hdf5Field>();
  /** every field object handed out, by path: opening a field again returns the live one (buffered rows, pending patch) */
  readonly fields = new Map<string, Hdf5Field>();
  /** datasets whose object header still holds a placeholder, by path */
  readonly pending = new Map<string, { addr: number; replace: Map<number, Uint8Array>; field: Hdf5Field }>();
  /** bool attributes still holding their placeholder type, by object path, then name */
  readonly pendingAttrs = new Map<string, Map<string, NxValue>>();
  /**
   * attribute names by object path: listed once, then kept by this writer (listing them before
   * every write made N attributes on one object cost N² name transfers)
   */
  private readonly attributeNameSets = new Map<string, Set<string>>();
  /** something changed since the last H5Fflush (true at first: a new file needs one) */
  modified = true;
  private scratchPtr = 0;
  private scratchSize = 0;

  constructor(readonly m: H5Module, readonly path: string, fid: bigint, readonly opts: Resolved, readonly bounds: [number, number], private readonly lock: FileLock) {
    this.fid = fid;
  }


  call<T>(what: string, obj: string, fn: (m: H5Module, fid: bigint) => T): T {
    if (this.closed) throw new NxswError('FILE_ERROR', `${this.path}: cannot ${what} ${obj}: the file is closed`);
    if (!READ_ONLY.has(what)) this.modified = true;
    return h5call(this.path, what, obj, () => fn(this.m, this.fid));
  }

  /** A wasm heap buffer of at least n bytes, reused between writes. */
  scratch(n: number): number {
    if (n > this.scratchSize) {
      if (this.scratchPtr) this.m._free(this.scratchPtr);
      const size = Math.max(n, 64 << 10);
      this.scratchPtr = this.m._malloc(size);
      if (!this.scratchPtr) throw new NxswError('FILE_ERROR', `${this.path}: out of wasm memory for a ${size}-byte write`);
      this.scratchSize = size;
    }
    return this.scratchPtr;
  }

  releaseScratch(): void {
    if (this.scratchPtr) this.m._free(this.scratchPtr);
    this.scratchPtr = 0;
    this.scratchSize = 0;
  }

  attributeNamesOf(path: string): Set<string> {
    let names = this.attributeNameSets.get(path);
    if (!names) {
      names = new Set(this.call('list attributes of', path, (m, fid) => m.get_attribute_names(fid, path)));
      this.attributeNameSets.set(path, names);
    }
    return names;
  }

  /** Closes the file, rewrites placeholder headers, reopens it, then writes what waited for that. */
  applyPatches(reopen = true): void {
    if (this.pending.size === 0 && this.pendingAttrs.size === 0) return;
    this.attributeNameSets.clear();
    if (this.swmr && this.pending.size) throw new NxswError('FILE_ERROR', `${this.path}: cannot finish datasets ${[...this.pending.keys()].join(', ')} in SWMR mode`);
    // deleting the reserve attribute leaves a free message in the header for the patch
    for (const path of this.pending.keys()) this.call('delete attribute', `${path}@${HEADER_RESERVE}`, (m, fid) => m.delete_attribute(fid, path, HEADER_RESERVE));
    const attrs = [...this.pendingAttrs].map(([path, values]) => ({ path, values, addr: this.addressOf(path) }));
    this.call('close', '(before rewriting object headers)', (m, fid) => m.close_file(fid));
    const waiting = [...this.pending.values()];
    this.pending.clear();
    this.pendingAttrs.clear();
    const fallback: Array<{ path: string; name: string; value: NxValue }> = [];
    try {
      for (const p of waiting) patchObjectHeader(this.path, p.addr, p.replace);
      for (const a of attrs) {
        for (const name of patchBoolAttributes(this.path, a.addr, [...a.values.keys()])) fallback.push({ path: a.path, name, value: a.values.get(name)! });
      }
    } finally {
      if (reopen) {
        this.fid = h5call(this.path, 'reopen', '', () => BigInt(this.m.open(this.path, this.m.H5F_ACC_RDWR, this.opts.trackOrder, this.bounds[0], this.bounds[1])));
        this.modified = true;
      }
      else this.closed = true;
    }
    if (!reopen) return;
    // a layout the patch does not handle: the attribute becomes int8 (h5py reads 0/1 as int8)
    for (const f of fallback) new Hdf5Group(this, f.path).writeAttribute(f.name, f.value, false);
    for (const p of waiting) p.field.afterPatch();
  }

  /** The file address of an object's header (an object reference is that address). */
  addressOf(path: string): number {
    const ref = this.call('locate', path, (m, fid) => m.create_object_reference(fid, path));
    return Number(new DataView(Uint8Array.from(ref).buffer).getBigUint64(0, true));
  }

  unlock(): void {
    this.lock.unlock();
  }

  flush(): void {
    if (this.closed) throw new NxswError('FILE_ERROR', `${this.path}: cannot flush: the file is closed`);
    this.applyPatches();
    for (const f of this.dirty) f.writeOut();
    this.dirty.clear();
    // H5Fflush costs even when nothing is dirty; the engine flushes after every record
    if (!this.modified) return;
    this.call('flush', '', (m, fid) => m.flush(fid));
    this.modified = false;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.applyPatches();
      for (const f of this.dirty) f.writeOut();
      this.dirty.clear();
    } finally {
      try {
        if (!this.closed) h5call(this.path, 'close', '', () => this.m.close_file(this.fid));
      } finally {
        this.closed = true;
        this.releaseScratch();
        this.lock.close();
      }
    }
  }
}

abstract class Hdf5Node {
  constructor(protected readonly state: FileState, readonly path: string) {}

  setAttribute(name: string, value: NxValue): void {
    if (typeof name !== 'string' || name === '') throw new NxswError('VALUE_INVALID', `${this.state.path}: empty attribute name on ${this.path}`);
    checkValue(value, `attribute ${name} of ${this.path}`);
    // a SWMR writer cannot close the file to patch headers: bools stay int8 there
    this.writeAttribute(name, value, !this.state.swmr);
  }

  /**
   * Writes an attribute, replacing one of the same name. A bool (with `asEnum`) is created with a
   * same-length placeholder type and becomes h5py's bool enum at the next flush or close.
   */
  writeAttribute(name: string, value: NxValue, asEnum: boolean): void {
    const st = this.state;
    const waiting = st.pendingAttrs.get(this.path);
    if (waiting?.delete(name) && waiting.size === 0) st.pendingAttrs.delete(this.path);
    const names = st.attributeNamesOf(this.path);
    if (names.delete(name)) st.call('delete attribute', `${this.path}@${name}`, (m, fid) => m.delete_attribute(fid, this.path, name));
    const info = typeInfo(value.type);
    const meta: Record<string, unknown> = { ...info, littleEndian: true, shape: big(value.shape), maxshape: null, chunks: null };
    if (value.type === 'bool') {
      // normalised to 0/1: other values would read as undefined enum members
      value = { ...value, data: Uint8Array.from(value.data as Uint8Array, (x) => (x ? 1 : 0)) };
      if (asEnum) Object.assign(meta, { type: H5T_COMPOUND, signed: false, compound_type: { nmembers: 1, members: [{ name: BOOL_PLACEHOLDER_MEMBER, offset: 0, ...info, littleEndian: true }] } });
    }
    if (value.type === 'string') {
      st.call('write attribute', `${this.path}@${name}`, (m, fid) => m.create_vlen_str_attribute(fid, this.path, name, value.data as string[], meta as any));
      names.add(name);
      return;
    }
    const bytes = bytesOf(value.data as NumberArray | BigArray);
    const ptr = st.scratch(Math.max(bytes.length, 1));
    st.m.HEAPU8.set(bytes, ptr);
    st.call('write attribute', `${this.path}@${name}`, (m, fid) => m.create_attribute(fid, this.path, name, BigInt(ptr), meta as any));
    names.add(name);
    if (meta['type'] === H5T_COMPOUND) {
      const map = st.pendingAttrs.get(this.path) ?? new Map<string, NxValue>();
      map.set(name, value);
      st.pendingAttrs.set(this.path, map);
    }
  }

  attributeNames(): string[] {
    return [...this.state.attributeNamesOf(this.path)];
  }

  getAttribute(name: string): NxValue | undefined {
    if (!this.state.attributeNamesOf(this.path).has(name)) return undefined;
    const st = this.state;
    const where = `${this.path}@${name}`;
    const meta = st.call('read attribute', where, (m, fid) => m.get_attribute_metadata(fid, this.path, name));
    const ptr = st.scratch(Math.max(meta.total_size * meta.size, 1));
    st.call('read attribute', where, (m, fid) => m.get_attribute_data(fid, this.path, name, BigInt(ptr)));
    return decodeRead(st, meta, ptr, where, () => st.call('read attribute', where, (m, fid) => m.reclaim_vlen_memory(fid, this.path, name, BigInt(ptr))));
  }
}

type ReadMetadata = ReturnType<H5Module['get_dataset_metadata']>;

/**
 * Turns what HDF5 read into the wasm heap at ptr (an attribute's or a dataset's whole value, of
 * the type `meta` describes) into an NxValue; `reclaim` frees the strings of a vlen read.
 */
function decodeRead(st: FileState, meta: ReadMetadata, ptr: number, where: string, reclaim: () => void): NxValue {
  const shape = (meta.shape ?? []) as number[];
  const n = meta.total_size;
  const heap = st.m.HEAPU8;
  if (meta.type === H5T_STRING) {
    const out: string[] = [];
    const dv = new DataView(heap.buffer);
    for (let i = 0; i < n; i++) {
      if (meta.vlen) out.push(st.m.UTF8ToString(dv.getUint32(ptr + 4 * i, true)));
      else out.push(new TextDecoder().decode(heap.subarray(ptr + i * meta.size, ptr + (i + 1) * meta.size)).replace(/[\0 ]+$/, ''));
    }
    if (meta.vlen) reclaim();
    return { type: 'string', shape, data: out };
  }
  const bytes = heap.slice(ptr, ptr + n * meta.size);
  if (meta.type === H5T_COMPOUND && meta.size === 1 && meta.compound_type?.members[0]?.name === BOOL_PLACEHOLDER_MEMBER) return { type: 'bool', shape, data: bytes };
  if (meta.type === H5T_ENUM && meta.size === 1 && meta.enum_type && meta.enum_type.members['FALSE'] === 0 && meta.enum_type.members['TRUE'] === 1) {
    return { type: 'bool', shape, data: bytes };
  }
  const t = elementTypeOf(meta.type === H5T_ENUM ? H5T_INTEGER : meta.type, meta.size, meta.signed);
  if (!t) throw new NxswError('VALUE_INVALID', `${st.path}: ${where} has a type nxsw does not read (class ${meta.type}, size ${meta.size})`);
  const data = allocate(t, n) as NumberArray | BigArray;
  bytesOf(data).set(bytes);
  return { type: t, shape, data };
}

/** the hyperslab of a whole string value, row-major */
function sliceStrings(whole: NxValue, start: readonly number[], count: readonly number[]): NxValue {
  const data = whole.data as string[];
  const shape = whole.shape;
  const out: string[] = [];
  const walk = (axis: number, offset: number): void => {
    for (let i = 0; i < count[axis]!; i++) {
      const at = offset * shape[axis]! + start[axis]! + i;
      if (axis === shape.length - 1) out.push(data[at]!);
      else walk(axis + 1, at);
    }
  };
  walk(0, 0);
  return { type: 'string', shape: [...count], data: out };
}

function elementTypeOf(cls: number, size: number, signed: boolean): ElementType | undefined {
  if (cls === H5T_FLOAT) return size === 4 ? 'float32' : size === 8 ? 'float64' : undefined;
  if (cls !== H5T_INTEGER) return undefined;
  const bits = size * 8;
  if (![8, 16, 32, 64].includes(bits)) return undefined;
  return `${signed ? 'int' : 'uint'}${bits}` as ElementType;
}

class Hdf5Group extends Hdf5Node implements SinkGroup {
  keys(): string[] {
    return this.state.call('list', this.path, (m, fid) => m.get_names(fid, this.path, false));
  }

  /**
   * What the child path `p` names: H5G_GROUP, H5G_DATASET, ..., -1 when no link has that name, or
   * 'unresolved' for a link to nothing HDF5 reaches (a dangling soft link, an external link to a
   * missing file): HDF5's lookup fails on those where it reports a missing name as -1.
   */
  private lookup(p: string): number | 'unresolved' {
    try {
      return this.state.call('look up', p, (m, fid) => m.get_type(fid, p));
    } catch (e) {
      if (this.isSymbolicLink(p)) return 'unresolved';
      throw e;
    }
  }

  private isSymbolicLink(p: string): boolean {
    try {
      const m = this.state.m;
      const fid = this.state.fid;
      return m.get_symbolic_link(fid, p) !== null || Boolean(m.get_external_link(fid, p).filename);
    } catch {
      return false;
    }
  }

  /** the object type `p` names, -1 for none (nothing there, or a link to nothing) */
  private typeOf(p: string): number {
    const t = this.lookup(p);
    return t === 'unresolved' ? -1 : t;
  }

  openGroup(name: string): SinkGroup | undefined {
    checkNodeName(this.state.path, this.path, name, 'group');
    const p = childPath(this.path, name);
    return this.typeOf(p) === this.state.m.H5G_GROUP ? new Hdf5Group(this.state, p) : undefined;
  }

  createGroup(name: string): SinkGroup {
    checkNodeName(this.state.path, this.path, name, 'group');
    const p = childPath(this.path, name);
    this.state.call('create group', p, (m, fid) => m.create_group(fid, p, this.state.opts.trackOrder));
    return new Hdf5Group(this.state, p);
  }

  openField(name: string, options?: { readonly recordAxis?: number }): SinkField | undefined {
    checkNodeName(this.state.path, this.path, name, 'field');
    const p = childPath(this.path, name);
    if (this.typeOf(p) !== this.state.m.H5G_DATASET) return undefined;
    return Hdf5Field.open(this.state, p, options?.recordAxis);
  }

  createField(name: string, spec: FieldSpec): SinkField {
    checkNodeName(this.state.path, this.path, name, 'field');
    return Hdf5Field.create(this.state, childPath(this.path, name), spec);
  }

  private absolute(target: string): string {
    return posix.normalize(target.startsWith('/') ? target : `${this.path}/${target}`);
  }

  /**
   * Whether a path names an object of this file: it exists and no part of it is an external link.
   * A soft link may pass through an external link to a file not written yet (detector files are
   * often linked before they exist); that link is created dangling, and nothing is looked up in
   * the other file, let alone written there.
   */
  private inThisFile(abs: string): boolean {
    // one lookup per path component, not a listing of each parent: a group of N links would make
    // the links' targets cost N² (4000 links took 9 s)
    const { H5G_LINK, H5G_UDLINK } = this.state.m;
    let path = '';
    try {
      for (const part of abs.split('/').filter(Boolean)) {
        path = `${path}/${part}`;
        const p = path;
        // get_type follows soft links that resolve; a dangling one is H5G_LINK, an external one
        // H5G_UDLINK (not followed), a missing name negative
        const t = this.state.call('look up', p, (m, fid) => m.get_type(fid, p));
        if (t < 0 || t === H5G_LINK || t === H5G_UDLINK) return false;
      }
      return true;
    } catch {
      return false; // a soft link on the way that leads out of the file
    }
  }

  /** NeXus: the original object of a link carries @target = its own absolute path. */
  private markTarget(target: string): void {
    const abs = this.absolute(target);
    if (!this.inThisFile(abs)) return;
    const t = this.typeOf(abs);
    if (t !== this.state.m.H5G_GROUP && t !== this.state.m.H5G_DATASET) return;
    const node = new Hdf5Group(this.state, abs);
    if (!node.attributeNames().includes('target')) node.setAttribute('target', { type: 'string', shape: [], data: [abs] });
  }

  createSoftLink(target: string, name: string): void {
    checkNodeName(this.state.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    this.state.call('create soft link', `${p} -> ${target}`, (m, fid) => m.create_soft_link(fid, target, p));
    this.markTarget(target);
  }

  createHardLink(target: string, name: string): void {
    checkNodeName(this.state.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    const abs = this.absolute(target);
    const t = this.typeOf(abs);
    if (t !== this.state.m.H5G_GROUP && t !== this.state.m.H5G_DATASET) {
      throw new NxswError('FILE_ERROR', `${this.state.path}: cannot create hard link ${p}: the target ${abs} does not exist`);
    }
    this.state.call('create hard link', `${p} -> ${abs}`, (m, fid) => m.create_hard_link(fid, abs, p));
    this.markTarget(abs);
  }

  link(name: string): { file?: string; path: string } | undefined {
    checkNodeName(this.state.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    // HDF5's link lookups fail on a missing name
    if (this.lookup(p) === -1) return undefined;
    const soft = this.state.call('look up', p, (m, fid) => m.get_symbolic_link(fid, p)) as string | null;
    if (soft !== null) return { path: soft };
    const ext = this.state.call('look up', p, (m, fid) => m.get_external_link(fid, p));
    return ext.filename ? { file: ext.filename, path: ext.obj_path } : undefined;
  }

  createExternalLink(file: string, target: string, name: string): void {
    checkNodeName(this.state.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    this.state.call('create external link', `${p} -> ${file}:${target}`, (m, fid) => m.create_external_link(fid, file, target, p));
  }
}

/** Copies one frame (row-major, shape `src`) into a larger frame of shape `dst`, zero/''-padded. */
function padFrames(data: ValueData, n: number, src: readonly number[], dst: readonly number[], type: ElementType): ValueData {
  const srcSize = sizeOf(src);
  const dstSize = sizeOf(dst);
  const out = allocate(type, n * dstSize);
  const rank = src.length;
  if (rank === 0 || srcSize === 0) return out;
  const last = src[rank - 1]!;
  const outer = srcSize / last;
  const idx = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  for (let r = 0; r < n; r++) {
    idx.fill(0);
    for (let o = 0; o < outer; o++) {
      let dOff = 0;
      for (let a = 0; a < rank - 1; a++) dOff = dOff * dst[a]! + idx[a]!;
      dOff = r * dstSize + dOff * dst[rank - 1]!;
      const sOff = r * srcSize + o * last;
      for (let i = 0; i < last; i++) (out as any)[dOff + i] = (data as any)[sOff + i];
      for (let a = rank - 2; a >= 0; a--) {
        if (++idx[a]! < src[a]!) break;
        idx[a] = 0;
      }
    }
  }
  return out;
}

/** Rows [n, O..., I...] → slab order [O..., n, I...] for a record axis k > 0 (O = frame axes before k). */
function moveRecordAxis(data: ValueData, n: number, outer: number, inner: number, type: ElementType): ValueData {
  const out = allocate(type, data.length) as any;
  const src = data as any;
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outer; o++) {
      const s = (r * outer + o) * inner;
      const d = (o * n + r) * inner;
      if (inner === 1) out[d] = src[s];
      else if (Array.isArray(out)) for (let i = 0; i < inner; i++) out[d + i] = src[s + i];
      else out.set(src.subarray(s, s + inner), d);
    }
  }
  return out as ValueData;
}

function resolveFilters(file: string, path: string, type: ElementType, filters: readonly FilterSpec[] | undefined): EncodedFilter[] {
  const list = filters ?? [];
  const out: EncodedFilter[] = [];
  for (const f of list) {
    switch (f.id) {
      case 1: {
        const level = f.cdValues?.[0] ?? 4;
        if (!Number.isInteger(level) || level < 0 || level > 9) throw new NxswError('VALUE_INVALID', `${file}: ${path}: deflate level ${level} is not an integer 0..9`);
        out.push({ id: 1, flags: 1, cdValues: [level] });
        break;
      }
      case 2: out.push({ id: 2, flags: 1, cdValues: [typeInfo(type).size] }); break;
      case 3: out.push({ id: 3, flags: 0, cdValues: [] }); break;
      default:
        if (list.length === 1) out.push({ id: f.id, flags: f.optional ? 1 : 0, cdValues: f.cdValues ?? [] });
        else if (!f.optional) {
          throw new NxswError('FILE_ERROR', `${file}: ${path}: filter ${f.id} cannot be combined with other filters (h5wasm sets one filter per dataset; nxsw adds deflate, shuffle and fletcher32 only)`);
        }
    }
  }
  return out;
}

class Hdf5Field extends Hdf5Node implements SinkField {
  /** extent in the file */
  private extent: number[];
  /** current frame shape (extent without the record axis, grown by appends) */
  private frame: number[];
  private buf: ValueData;
  private bufRows = 0;
  /** a write() waiting for the header patch */
  private deferred: NxValue | undefined;
  /** why this dataset is read but not written (a type nxsw reads and does not write), if it is */
  private unwritable: string | undefined;

  private constructor(state: FileState, path: string, readonly type: ElementType, readonly contiguous: boolean, extent: number[], readonly recordAxis: number) {
    super(state, path);
    this.extent = extent;
    this.frame = extent.filter((_, i) => i !== recordAxis);
    this.buf = allocate(type, 0);
  }

  static create(st: FileState, path: string, spec: FieldSpec): Hdf5Field {
    const type = spec.type;
    const info = typeInfo(type);
    if (!info) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: unknown element type '${String(type)}'`);
    const shape = [...spec.shape];
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: bad shape [${shape.join(',')}]`);
    const scalar = shape.length === 0 && (spec.scalar === true || spec.recordAxis === undefined);
    if (shape.length === 0 && !scalar) shape.push(0);
    const recordAxis = spec.recordAxis ?? 0;
    if (!scalar && (recordAxis < 0 || recordAxis >= shape.length)) {
      throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: record axis ${recordAxis} is outside the shape [${shape.join(',')}]`);
    }
    const meta: Record<string, unknown> = { ...info, littleEndian: true, track_order: st.opts.trackOrder, compression: 0, compression_opts: [] };
    let filters: EncodedFilter[] = [];
    if (scalar) {
      Object.assign(meta, { shape: [], maxshape: null, chunks: null });
    } else {
      const chunks = chunkShape({ shape, recordAxis: spec.recordAxis, frameShape: spec.frameShape, elementBytes: fileElemSize(type), expectedRecords: spec.expectedRecords }, st.opts.chunk);
      // created empty and resized: create_dataset would otherwise write a zero buffer of the whole extent
      Object.assign(meta, { shape: shape.map(() => 0n), maxshape: shape.map(() => UNLIMITED), chunks: big(chunks) });
      // vlen strings are 16-byte heap ids: filters would compress pointers, not text
      if (type !== 'string') filters = resolveFilters(st.path, path, type, spec.filters);
      if (filters.length) Object.assign(meta, { compression: filters[0]!.id, compression_opts: filters[0]!.cdValues });
    }
    const create = (): void => {
      if (type === 'string') st.call('create dataset', path, (m, fid) => m.create_vlen_str_dataset(fid, path, scalar ? [''] : [], meta as any));
      else {
        const ptr = st.scratch(8);
        st.m.HEAPU8.fill(0, ptr, ptr + 8);
        st.call('create dataset', path, (m, fid) => m.create_dataset(fid, path, BigInt(ptr), meta as any));
      }
    };
    try {
      create();
    } catch (e) {
      const f = filters[0];
      if (!f || f.id <= 3) throw e;
      // the only case left: a single filter by id that the wasm build lacks
      const optional = spec.filters?.[0]?.optional === true;
      if (!optional) throw new NxswError('FILE_ERROR', `${st.path}: cannot create ${path}: HDF5 filter ${f.id} is not available in h5wasm (only deflate, shuffle, fletcher32 and the built-in filters are)`, { cause: e });
      filters = [];
      Object.assign(meta, { compression: 0, compression_opts: [] });
      create();
    }
    const field = new Hdf5Field(st, path, type, scalar, scalar ? [] : shape.map(() => 0), recordAxis);
    const replace = new Map<number, Uint8Array>();
    if (type === 'bool') replace.set(MSG_DATATYPE, boolEnumDatatype());
    if (filters.length > 1) replace.set(MSG_PIPELINE, pipelineMessage(filters));
    if (replace.size) {
      // reserve room in the object header now: attributes the engine adds next would otherwise
      // use up the free space the larger datatype / pipeline message needs at the patch
      field.setAttribute(HEADER_RESERVE, { type: 'uint8', shape: [HEADER_RESERVE_BYTES], data: new Uint8Array(HEADER_RESERVE_BYTES) });
      st.pending.set(path, { addr: st.addressOf(path), replace, field });
    }
    // resizing only changes the dataspace message, so it may precede the header patch; a frame
    // with no rows yet ([0, 4]) is stored too, so that a reopened field knows its frame
    if (!scalar && shape.some((d) => d > 0)) field.resize(shape);
    if (!scalar) field.frame = shape.filter((_, i) => i !== recordAxis);
    st.fields.set(path, field);
    return field;
  }

  /** `recordAxis` undefined: the live field as it is (a reader), else axis 0 */
  static open(st: FileState, path: string, axis: number | undefined): Hdf5Field {
    const live = st.fields.get(path);
    if (live && (live.contiguous || axis === undefined || live.recordAxis === axis)) return live;
    const recordAxis = axis ?? 0;
    if (live) {
      // another record axis: the file must hold the rows so far before they are read anew
      if (st.pending.has(path)) st.applyPatches();
      live.writeOut();
      st.dirty.delete(live);
    }
    const meta = st.call('open dataset', path, (m, fid) => m.get_dataset_metadata(fid, path));
    let type: ElementType | undefined;
    if (meta.type === H5T_STRING) type = 'string';
    else if (meta.type === H5T_ENUM && meta.size === 1 && meta.enum_type?.members['FALSE'] === 0 && meta.enum_type?.members['TRUE'] === 1) type = 'bool';
    else type = elementTypeOf(meta.type, meta.size, meta.signed);
    if (!type) throw new NxswError('FILE_ERROR', `${st.path}: ${path} has a type nxsw cannot write (class ${meta.type}, size ${meta.size})`);
    const shape = (meta.shape ?? []) as number[];
    // the record axis is not stored in the file: the caller says which one it is
    if (shape.length > 0 && (recordAxis < 0 || recordAxis >= shape.length)) {
      throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: record axis ${recordAxis} is outside the shape [${shape.join(',')}]`);
    }
    const field = new Hdf5Field(st, path, type, meta.chunks === null, [...shape], shape.length > 0 ? recordAxis : 0);
    // another program's fixed-length strings are read; nxsw writes variable-length ones only
    if (type === 'string' && !meta.vlen) field.unwritable = 'it holds fixed-length strings; nxsw writes variable-length strings only';
    st.fields.set(path, field);
    return field;
  }

  get shape(): readonly number[] {
    if (this.deferred) return [...this.deferred.shape];
    if (this.contiguous) return [...this.extent];
    const s = [...this.frame];
    s.splice(this.recordAxis, 0, (this.extent[this.recordAxis] ?? 0) + this.bufRows);
    return s;
  }

  get rows(): number {
    if (this.contiguous) return 0;
    return this.shape[this.recordAxis] ?? 0;
  }

  private where(): string {
    return `${this.state.path}: ${this.path}`;
  }

  /** this dataset, for core's checks of written values; refuses datasets nxsw does not write */
  private target(what: string): FieldTarget {
    if (this.unwritable) throw new NxswError('FILE_ERROR', `${this.where()}: cannot ${what}: ${this.unwritable}`);
    return { file: this.state.path, path: this.path, type: this.type, rank: this.extent.length, scalar: this.contiguous };
  }

  write(value: NxValue): void {
    const v = valueToWrite(value, this.target('write'));
    if (this.contiguous) {
      this.writeSlab(null, null, v.data);
      return;
    }
    this.bufRows = 0;
    this.buf = allocate(this.type, 0);
    this.frame = v.shape.filter((_, i) => i !== this.recordAxis);
    if (this.state.pending.has(this.path)) {
      this.deferred = v;
      this.state.dirty.add(this);
      return;
    }
    this.deferred = undefined;
    this.resize(v.shape);
    this.writeSlab(v.shape.map(() => 0), [...v.shape], v.data);
  }

  append(block: NxValue): void {
    const b = blockToAppend(block, this.target('append'));
    const n = b.shape[0]!;
    if (n === 0) return;
    if (this.deferred) this.state.applyPatches();
    const bf = b.shape.slice(1);
    const grown = this.frame.map((d, i) => Math.max(d, bf[i]!));
    if (grown.some((d, i) => d !== this.frame[i])) {
      this.writeOut();
      this.frame = grown;
    }
    const data = bf.every((d, i) => d === this.frame[i]) ? b.data : padFrames(b.data, n, bf, this.frame, this.type);
    this.push(data, n);
    this.state.dirty.add(this);
    if (this.bufRows * sizeOf(this.frame) * fileElemSize(this.type) >= this.state.opts.blockBytes) this.writeOut();
  }

  private push(data: ValueData, n: number): void {
    const need = (this.bufRows + n) * sizeOf(this.frame);
    const used = this.bufRows * sizeOf(this.frame);
    if (Array.isArray(this.buf)) {
      const arr = this.buf as string[];
      arr.length = used;
      for (const s of data as string[]) arr.push(s);
    } else {
      if (need > this.buf.length) {
        const grown = allocate(this.type, Math.max(need, 2 * this.buf.length, 64)) as NumberArray | BigArray;
        (grown as any).set((this.buf as any).subarray(0, used));
        this.buf = grown;
      }
      (this.buf as any).set(data, used);
    }
    this.bufRows += n;
  }

  /** Writes the buffered rows: one resize and one hyperslab write. */
  writeOut(): void {
    if (this.deferred) {
      if (this.state.pending.has(this.path)) return; // waits for the patch
      const v = this.deferred;
      this.deferred = undefined;
      this.resize(v.shape);
      this.writeSlab(v.shape.map(() => 0), [...v.shape], v.data);
    }
    if (this.bufRows === 0) return;
    if (this.state.pending.has(this.path)) this.state.applyPatches();
    const n = this.bufRows;
    const k = this.recordAxis;
    const start = this.extent[k]!;
    const frameSize = sizeOf(this.frame);
    let data: ValueData = Array.isArray(this.buf) ? (this.buf as string[]).slice(0, n * frameSize) : (this.buf as any).subarray(0, n * frameSize);
    const next = [...this.frame];
    next.splice(k, 0, start + n);
    this.resize(next);
    const count = [...this.frame];
    count.splice(k, 0, n);
    const offset = count.map(() => 0);
    offset[k] = start;
    if (k > 0) data = moveRecordAxis(data, n, sizeOf(this.frame.slice(0, k)), sizeOf(this.frame.slice(k)), this.type);
    this.bufRows = 0;
    this.writeSlab(offset, count, data);
  }

  /** The whole value, as the file holds it after the buffered rows are written. */
  read(): NxValue {
    const st = this.state;
    if (st.pending.has(this.path)) st.applyPatches();
    this.writeOut();
    st.dirty.delete(this);
    const meta = st.call('read', this.path, (m, fid) => m.get_dataset_metadata(fid, this.path));
    const ptr = st.scratch(Math.max(meta.total_size * meta.size, 1));
    st.call('read', this.path, (m, fid) => m.get_dataset_data(fid, this.path, null, null, null, BigInt(ptr)));
    return decodeRead(st, meta, ptr, this.path, () => st.call('read', this.path, (m, fid) => m.reclaim_vlen_memory(fid, this.path, '', BigInt(ptr))));
  }

  /**
   * A hyperslab as the file holds it after the buffered rows are written. Strings are read whole
   * and sliced here: h5wasm reclaims variable-length memory over the whole dataset only.
   */
  readSlice(start: readonly number[], count: readonly number[]): NxValue {
    const st = this.state;
    if (st.pending.has(this.path)) st.applyPatches();
    this.writeOut();
    st.dirty.delete(this);
    const meta = st.call('read', this.path, (m, fid) => m.get_dataset_metadata(fid, this.path));
    const shape = (meta.shape ?? []) as number[];
    if (start.length !== shape.length || count.length !== shape.length || start.some((x, i) => !Number.isInteger(x) || x < 0 || !Number.isInteger(count[i]) || count[i]! < 0 || x + count[i]! > shape[i]!)) {
      throw new NxswError('VALUE_INVALID', `${st.path}: ${this.path}: the slice start [${start.join(',')}] count [${count.join(',')}] is outside the shape [${shape.join(',')}]`);
    }
    if (shape.length === 0 || count.every((c, i) => c === shape[i])) return this.read();
    const n = count.reduce((a, b) => a * b, 1);
    if (meta.type === H5T_STRING) return sliceStrings(this.read(), start, count);
    const ptr = st.scratch(Math.max(n * meta.size, 1));
    if (n > 0) st.call('read', this.path, (m, fid) => m.get_dataset_data(fid, this.path, big(count), big(start), big(count.map(() => 1)), BigInt(ptr)));
    return decodeRead(st, { ...meta, shape: [...count], total_size: n }, ptr, this.path, () => undefined);
  }

  /** Called after the header patch, with the file reopened. */
  afterPatch(): void {
    if (this.deferred || this.bufRows) this.state.dirty.add(this);
  }

  private resize(shape: readonly number[]): void {
    if (shape.length === this.extent.length && shape.every((d, i) => d === this.extent[i])) return;
    this.state.call('resize', this.path, (m, fid) => m.resize_dataset(fid, this.path, big(shape)));
    this.extent = [...shape];
  }

  /** One hyperslab (or the whole dataset when offset is null), split along axis 0 if it is big. */
  private writeSlab(offset: number[] | null, count: number[] | null, data: ValueData): void {
    const st = this.state;
    const total = count ? sizeOf(count) : 1;
    if (total === 0) return;
    const elem = this.type === 'string' ? 64 : typeInfo(this.type).size;
    if (offset && count && total * elem > MAX_WRITE_BYTES && count[0]! > 1) {
      const rowSize = total / count[0]!;
      const step = Math.max(1, Math.floor(MAX_WRITE_BYTES / (rowSize * elem)));
      for (let r = 0; r < count[0]!; r += step) {
        const nr = Math.min(step, count[0]! - r);
        const part = Array.isArray(data) ? data.slice(r * rowSize, (r + nr) * rowSize) : (data as any).subarray(r * rowSize, (r + nr) * rowSize);
        this.writeSlab([offset[0]! + r, ...offset.slice(1)], [nr, ...count.slice(1)], part);
      }
      return;
    }
    let ptr: number;
    if (this.type === 'string') {
      const enc = new TextEncoder();
      const strs = (data as string[]).map((s) => enc.encode(s));
      const size = 4 * strs.length + strs.reduce((a, s) => a + s.length + 1, 0);
      ptr = st.scratch(size);
      const heap = st.m.HEAPU8;
      const dv = new DataView(heap.buffer);
      let q = ptr + 4 * strs.length;
      strs.forEach((s, i) => {
        dv.setUint32(ptr + 4 * i, q, true);
        heap.set(s, q);
        heap[q + s.length] = 0;
        q += s.length + 1;
      });
    } else {
      const bytes = bytesOf(data as NumberArray | BigArray);
      ptr = st.scratch(bytes.length);
      st.m.HEAPU8.set(bytes, ptr);
    }
    const stride = count ? count.map(() => 1n) : null;
    st.call('write', this.path, (m, fid) => m.set_dataset_data(fid, this.path, count ? big(count) : null, offset ? big(offset) : null, stride, BigInt(ptr)));
  }
}

class Hdf5File implements SinkFile {
  readonly root: SinkGroup;
  constructor(private readonly state: FileState, readonly libraryVersion: string) {
    this.root = new Hdf5Group(state, '/');
  }
  get path(): string {
    return this.state.path;
  }
  flush(): void {
    this.state.flush();
  }
  startSwmr(): void {
    const st = this.state;
    if (st.swmr) return;
    st.flush();
    if (st.bounds[0] < st.m.H5F_LIBVER_V110) {
      throw new NxswError('FILE_ERROR', `${st.path}: cannot start SWMR writing: the file was opened without swmr (SWMR needs libver v110 or later from the start)`);
    }
    st.call('start SWMR writing on', '', (m, fid) => m.H5Fstart_swmr_write(fid));
    st.swmr = true;
    // as the HDF5 library does: from now on SWMR readers may open the file, and the superblock's
    // write flags keep other writers off
    st.unlock();
  }
  close(): void {
    this.state.close();
  }
}

const DEFAULTS: Resolved = {
  libver: undefined, chunk: chunkPolicy({}), blockBytes: 16 << 20, fileLocking: true, trackOrder: true,
};

export class Hdf5SinkFactory implements SinkFactory {
  readonly kind = 'sink' as const;
  readonly name = 'HDF5';
  readonly suffixes = ['.nxs', '.h5', '.hdf5', '.nx5'] as const;
  private readonly opts: Resolved;

  constructor(options: Hdf5SinkOptions = {}) {
    this.opts = {
      libver: options.libver ?? DEFAULTS.libver,
      chunk: chunkPolicy(options),
      blockBytes: options.blockBytes ?? DEFAULTS.blockBytes,
      fileLocking: options.fileLocking ?? DEFAULTS.fileLocking,
      trackOrder: options.trackOrder ?? DEFAULTS.trackOrder,
    };
  }

  openReader(path: string): Promise<SinkReader> {
    return openReader(path);
  }

  async open(path: string, options: SinkOpenOptions): Promise<SinkFile> {
    const file = resolvePath(path);
    checkOutputPath(file);
    const m = await loadModule();
    const lock = FileLock.open(file, options.mode, lockPolicy(this.opts.fileLocking));
    try {
      const consts = { v18: m.H5F_LIBVER_V18, v110: m.H5F_LIBVER_V110, v112: m.H5F_LIBVER_V112, v114: m.H5F_LIBVER_V114, v200: m.H5F_LIBVER_V200, latest: m.H5F_LIBVER_LATEST };
      const low = consts[this.opts.libver ?? (options.swmr ? 'v110' : 'v18')];
      const bounds: [number, number] = [low, Math.max(low, m.H5F_LIBVER_V110)];
      // a file the lock just created is empty: HDF5 writes it anew (TRUNC), as it would with EXCL
      const fid = h5call(file, lock.created ? 'create' : 'open', 'the file', () => BigInt(m.open(file, lock.created ? m.H5F_ACC_TRUNC : m.H5F_ACC_RDWR, this.opts.trackOrder, bounds[0], bounds[1])));
      const state = new FileState(m, file, fid, this.opts, bounds, lock);
      return new Hdf5File(state, hdf5Version(m));
    } catch (e) {
      lock.close();
      if (lock.created) rmSync(file, { force: true });
      throw e;
    }
  }
}
