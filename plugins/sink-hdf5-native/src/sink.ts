/**
 * The native HDF5 sink: SinkFactory / SinkFile / SinkGroup / SinkField on the system's HDF5
 * library (lib.ts). The file, its groups and datasets stay open until the file is closed, so an
 * append is one resize and one hyperslab write into an open dataset whose chunk cache is kept.
 * NX_BOOLEAN is h5py's bool (an int8 enum FALSE=0/TRUE=1) and filter pipelines are set at
 * creation: nothing waits for a header patch. HDF5's own file locks apply (the library honours
 * HDF5_USE_FILE_LOCKING=FALSE).
 */
import { existsSync, statSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath, posix } from 'node:path';
import {
  NxswError, childPath, checkNodeName, valueToWrite, blockToAppend, type FieldTarget, checkValue, sizeOf, chunkShape, chunkPolicy,
  type ChunkPolicy, type ChunkOptions, type ElementType, type NxValue, type ValueData,
  type SinkFactory, type SinkFile, type SinkGroup, type SinkField, type SinkOpenOptions, type FieldSpec, type FilterSpec,
  type VirtualFieldSpec, type Hyperslab, type SinkReader,
} from '@nxsw/core';
import { hdf5, type H5Lib, type Hid } from './lib.js';
import { INDEX_NAME, ITER_INC, allocateOf, attributeNamesOf, elementTypeOf, linkOf, openHere, readStored, reason, shapeOf } from './common.js';
import { openNativeReader } from './reader.js';
import { LIBVER } from './versions.js';

export type Libver = 'v18' | 'v110' | 'v112' | 'v114' | 'latest';

/** chunkBytes, chunkRecords, maxChunkBytes: core's ChunkOptions, the rule every HDF5 sink applies (core's chunkShape) */
export interface NativeSinkOptions extends ChunkOptions {
  /** lower format bound; default v110 for SWMR files, else v18 (non-SWMR readers can open the file while it is written) */
  readonly libver?: Libver;
  /** buffered bytes per dataset that force a write before the next flush, default 16 MiB */
  readonly blockBytes?: number;
  /** record the creation order of links and attributes (h5py lists them in that order), default true */
  readonly trackOrder?: boolean;
}

interface Resolved { libver: Libver | undefined; chunk: ChunkPolicy; blockBytes: number; trackOrder: boolean }

const UNLIMITED = 0xffffffffffffffffn;
const VARIABLE = 0xffffffffffffffffn; // H5T_VARIABLE (size_t)-1
const F_ACC_RDWR = 1;
const F_ACC_EXCL = 4;
const F_SCOPE_LOCAL = 0;
const F_CLOSE_STRONG = 3;
const S_SCALAR = 0;
const S_SELECT_SET = 0;
const I_GROUP = 2;
const I_DATASET = 5;
const CSET_UTF8 = 1;
const D_CHUNKED = 2;
const D_VIRTUAL = 3;
const CRT_ORDER_TRACKED_INDEXED = 3;
const Z_FLAG_OPTIONAL = 1;

const big = (a: readonly number[]): BigUint64Array => BigUint64Array.from(a, (x) => (x < 0 ? UNLIMITED : BigInt(x)));

const HOST_LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const TWO_32 = 2 ** 32;

/**
 * A uint64 argument array (dims, start, count) for the library, refilled in place: what `big`
 * returns, without its typed array, iterator and BigInt per number. The append path runs it for
 * every dataset on every Record, where `big` made most of the sink's garbage (and young-GC pauses).
 */
class U64Arg {
  private arr = new BigUint64Array(4);
  private view = new DataView(this.arr.buffer);

  /** the values as uint64 (negative: unlimited); valid until the next `of` */
  of(values: readonly number[]): BigUint64Array {
    const n = values.length;
    if (n > this.arr.length) {
      this.arr = new BigUint64Array(n);
      this.view = new DataView(this.arr.buffer);
    }
    for (let i = 0; i < n; i++) {
      const x = values[i]!;
      const lo = x < 0 ? 0xffffffff : x % TWO_32;
      const hi = x < 0 ? 0xffffffff : Math.floor(x / TWO_32);
      this.view.setUint32(8 * i + (HOST_LE ? 0 : 4), lo, HOST_LE);
      this.view.setUint32(8 * i + (HOST_LE ? 4 : 0), hi, HOST_LE);
    }
    return this.arr;
  }
}

/** The open file: the library, its handles and the transient types, closed together. */
class FileState {
  closed = false;
  swmr = false;
  /** something changed since the last H5Fflush (a new file needs one) */
  modified = true;
  readonly dirty = new Set<NativeField>();
  /** open groups and datasets by path */
  readonly objects = new Map<string, Hid>();
  readonly fields = new Map<string, NativeField>();
  readonly lcpl: Hid;
  readonly acpl: Hid;
  readonly boolType: Hid;
  readonly strType: Hid;
  /** argument arrays of the append path (resize, hyperslab, memory space): one call at a time uses each */
  readonly dimsArg = new U64Arg();
  readonly startArg = new U64Arg();
  readonly countArg = new U64Arg();

  constructor(readonly h5: H5Lib, readonly path: string, readonly fid: Hid, readonly opts: Resolved, private readonly key: string) {
    const { fn, g } = h5;
    // UTF-8 link and attribute names, as h5py writes them
    this.lcpl = this.check('set up', 'link creation properties', fn.H5Pcreate(g.LINK_CREATE));
    fn.H5Pset_char_encoding(this.lcpl, CSET_UTF8);
    this.acpl = this.check('set up', 'attribute creation properties', fn.H5Pcreate(g.ATTRIBUTE_CREATE));
    fn.H5Pset_char_encoding(this.acpl, CSET_UTF8);
    this.boolType = this.check('set up', 'the bool type', fn.H5Tenum_create(g.NATIVE_INT8));
    fn.H5Tenum_insert(this.boolType, 'FALSE', Int8Array.of(0));
    fn.H5Tenum_insert(this.boolType, 'TRUE', Int8Array.of(1));
    this.strType = this.check('set up', 'the string type', fn.H5Tcopy(g.C_S1));
    fn.H5Tset_size(this.strType, VARIABLE);
    fn.H5Tset_cset(this.strType, CSET_UTF8);
  }

  /** A library result: negative means failure, turned into FILE_ERROR naming the file, the object and the operation. */
  check<T extends Hid>(what: string, obj: string, result: T): T {
    if (result < 0) throw new NxswError('FILE_ERROR', `${this.path}: cannot ${what} ${obj}: ${reason(this.h5.errorStack())}`);
    return result;
  }

  /** a call that changes the file */
  change<T extends Hid>(what: string, obj: string, result: T): T {
    this.modified = true;
    return this.check(what, obj, result);
  }

  live(what: string, obj: string): void {
    if (this.closed) throw new NxswError('FILE_ERROR', `${this.path}: cannot ${what} ${obj}: the file is closed`);
  }

  /** the open handle of a group or dataset, opened on first use; undefined when the path names neither */
  object(path: string): Hid | undefined {
    const open = this.objects.get(path);
    if (open !== undefined) return open;
    const { fn } = this.h5;
    if (path !== '/' && fn.H5Lexists(this.fid, path, 0) <= 0) {
      this.h5.errorStack(); // a missing parent is an error, not an answer: discard it
      return undefined;
    }
    const id = fn.H5Oopen(this.fid, path, 0) as Hid;
    if (id < 0) {
      this.h5.errorStack(); // a dangling soft or external link
      return undefined;
    }
    const t = fn.H5Iget_type(id);
    if (t !== I_GROUP && t !== I_DATASET) {
      fn.H5Oclose(id);
      return undefined;
    }
    this.objects.set(path, id);
    return id;
  }

  kind(path: string): 'group' | 'dataset' | undefined {
    const id = this.object(path);
    if (id === undefined) return undefined;
    return this.h5.fn.H5Iget_type(id) === I_GROUP ? 'group' : 'dataset';
  }

  flush(): void {
    this.live('flush', '');
    for (const f of this.dirty) f.writeOut();
    this.dirty.clear();
    // H5Fflush costs even when nothing changed; the engine flushes after every Record
    if (!this.modified) return;
    this.check('flush', '', this.h5.fn.H5Fflush(this.fid, F_SCOPE_LOCAL));
    this.modified = false;
  }

  close(): void {
    if (this.closed) return;
    const { fn } = this.h5;
    try {
      for (const f of this.dirty) f.writeOut();
      this.dirty.clear();
    } finally {
      this.closed = true;
      for (const id of this.objects.values()) fn.H5Oclose(id);
      this.objects.clear();
      fn.H5Pclose(this.lcpl);
      fn.H5Pclose(this.acpl);
      fn.H5Tclose(this.boolType);
      fn.H5Tclose(this.strType);
      openHere.delete(this.key);
      this.check('close', 'the file', fn.H5Fclose(this.fid));
    }
  }

  /** memory (and file) type of an element type */
  memType(t: ElementType): Hid {
    const g = this.h5.g;
    switch (t) {
      case 'int8': return g.NATIVE_INT8;
      case 'uint8': return g.NATIVE_UINT8;
      case 'int16': return g.NATIVE_INT16;
      case 'uint16': return g.NATIVE_UINT16;
      case 'int32': return g.NATIVE_INT32;
      case 'uint32': return g.NATIVE_UINT32;
      case 'int64': return g.NATIVE_INT64;
      case 'uint64': return g.NATIVE_UINT64;
      case 'float32': return g.NATIVE_FLOAT;
      case 'float64': return g.NATIVE_DOUBLE;
      case 'bool': return this.boolType;
      case 'string': return this.strType;
    }
  }

  fileType(t: ElementType): Hid {
    const g = this.h5.g;
    switch (t) {
      case 'int8': return g.STD_I8LE;
      case 'uint8': return g.STD_U8LE;
      case 'int16': return g.STD_I16LE;
      case 'uint16': return g.STD_U16LE;
      case 'int32': return g.STD_I32LE;
      case 'uint32': return g.STD_U32LE;
      case 'int64': return g.STD_I64LE;
      case 'uint64': return g.STD_U64LE;
      case 'float32': return g.IEEE_F32LE;
      case 'float64': return g.IEEE_F64LE;
      case 'bool': return this.boolType;
      case 'string': return this.strType;
    }
  }

  /** The element type of a stored datatype, or undefined for one nxsw does not map. */
  elementTypeOf(tid: Hid): ElementType | undefined {
    return elementTypeOf(this.h5, tid);
  }

  /** Writes data of one element type from memory (typed array or strings) through a memory space. */
  write(what: string, target: Hid, type: ElementType, memSpace: Hid, fileSpace: Hid, data: ValueData): void {
    const { fn } = this.h5;
    const mt = this.memType(type);
    if (type === 'string') this.change('write', what, fn.H5Dwrite_strings(target, mt, memSpace, fileSpace, 0, data as string[]));
    else this.change('write', what, fn.H5Dwrite(target, mt, memSpace, fileSpace, 0, type === 'bool' ? Uint8Array.from(data as Uint8Array, (x) => (x ? 1 : 0)) : data));
  }

  /** a whole attribute or dataset (common.ts readStored), errors naming this file */
  readValue(what: string, tid: Hid, space: Hid, read: (memType: Hid, buf: Uint8Array | Exclude<ValueData, string[]>) => number): NxValue {
    return readStored(this.h5, this.path, what, tid, space, this.strType, read);
  }

  /** a dataspace of this shape ([] scalar), closed after use */
  withSpace<T>(shape: readonly number[] | null, maxShape: readonly number[] | null, use: (space: Hid) => T): T {
    const { fn } = this.h5;
    const space = this.check('create', 'a dataspace', shape === null || shape.length === 0 ? fn.H5Screate(S_SCALAR) : fn.H5Screate_simple(shape.length, big(shape), maxShape ? big(maxShape) : null));
    try {
      return use(space);
    } finally {
      fn.H5Sclose(space);
    }
  }
}

abstract class NativeNode {
  constructor(protected readonly state: FileState, readonly path: string) {}

  protected handle(what: string): Hid {
    this.state.live(what, this.path);
    const id = this.state.object(this.path);
    if (id === undefined) throw new NxswError('FILE_ERROR', `${this.state.path}: cannot ${what} ${this.path}: it no longer exists`);
    return id;
  }

  setAttribute(name: string, value: NxValue): void {
    const st = this.state;
    const { fn } = st.h5;
    if (typeof name !== 'string' || name === '') throw new NxswError('VALUE_INVALID', `${st.path}: empty attribute name on ${this.path}`);
    checkValue(value, `attribute ${name} of ${this.path}`);
    const where = `${this.path}@${name}`;
    const obj = this.handle('write attribute');
    if (fn.H5Aexists(obj, name) > 0) st.change('replace attribute', where, fn.H5Adelete(obj, name));
    st.withSpace(value.shape, null, (space) => {
      const attr = st.change('write attribute', where, fn.H5Acreate2(obj, name, st.fileType(value.type), space, st.acpl, 0));
      try {
        const mt = st.memType(value.type);
        if (value.type === 'string') st.change('write attribute', where, fn.H5Awrite_strings(attr, mt, value.data as string[]));
        else st.change('write attribute', where, fn.H5Awrite(attr, mt, value.type === 'bool' ? Uint8Array.from(value.data as Uint8Array, (x) => (x ? 1 : 0)) : value.data));
      } finally {
        fn.H5Aclose(attr);
      }
    });
  }

  attributeNames(): string[] {
    const st = this.state;
    const obj = this.handle('list attributes of');
    return attributeNamesOf(st.h5, obj, st.opts.trackOrder, () => {
      throw new NxswError('FILE_ERROR', `${st.path}: cannot list attributes of ${this.path}: ${reason(st.h5.errorStack())}`);
    });
  }

  getAttribute(name: string): NxValue | undefined {
    const st = this.state;
    const { fn } = st.h5;
    const obj = this.handle('read attribute');
    if (fn.H5Aexists(obj, name) <= 0) {
      st.h5.errorStack();
      return undefined;
    }
    const where = `${this.path}@${name}`;
    const attr = st.check('read attribute', where, fn.H5Aopen(obj, name, 0));
    const tid = fn.H5Aget_type(attr);
    const space = fn.H5Aget_space(attr);
    try {
      // an empty attribute (h5py.Empty, HDF5's null dataspace) holds no value
      if (shapeOf(st.h5, space) === null) return undefined;
      return st.readValue(`attribute ${where}`, tid, space, (memType, buf) => fn.H5Aread(attr, memType, buf));
    } finally {
      fn.H5Sclose(space);
      fn.H5Tclose(tid);
      fn.H5Aclose(attr);
    }
  }
}

class NativeGroup extends NativeNode implements SinkGroup {
  keys(): string[] {
    const st = this.state;
    const { fn } = st.h5;
    const gid = this.handle('list');
    const info: { nlinks?: bigint | number } = {};
    st.check('list', this.path, fn.H5Gget_info(gid, info));
    const names: string[] = [];
    let buf = new Uint8Array(256);
    for (let i = 0; i < Number(info.nlinks ?? 0); i++) {
      let n = Number(st.check('list', this.path, fn.H5Lget_name_by_idx(gid, '.', INDEX_NAME, ITER_INC, i, buf, buf.length, 0)));
      if (n >= buf.length) {
        buf = new Uint8Array(n + 1);
        n = Number(fn.H5Lget_name_by_idx(gid, '.', INDEX_NAME, ITER_INC, i, buf, buf.length, 0));
      }
      names.push(Buffer.from(buf.buffer, 0, n).toString('utf8'));
    }
    return names;
  }

  openGroup(name: string): SinkGroup | undefined {
    checkNodeName(this.state.path, this.path, name, 'group');
    this.state.live('open group', name);
    const p = childPath(this.path, name);
    return this.state.kind(p) === 'group' ? new NativeGroup(this.state, p) : undefined;
  }

  createGroup(name: string): SinkGroup {
    const st = this.state;
    const { fn, g } = st.h5;
    checkNodeName(st.path, this.path, name, 'group');
    const p = childPath(this.path, name);
    const parent = this.handle('create group in');
    const gcpl = fn.H5Pcreate(g.GROUP_CREATE);
    try {
      if (st.opts.trackOrder) {
        fn.H5Pset_link_creation_order(gcpl, CRT_ORDER_TRACKED_INDEXED);
        fn.H5Pset_attr_creation_order(gcpl, CRT_ORDER_TRACKED_INDEXED);
      }
      st.objects.set(p, st.change('create group', p, fn.H5Gcreate2(parent, name, st.lcpl, gcpl, 0)));
    } finally {
      fn.H5Pclose(gcpl);
    }
    return new NativeGroup(st, p);
  }

  openField(name: string, options?: { readonly recordAxis?: number }): SinkField | undefined {
    checkNodeName(this.state.path, this.path, name, 'field');
    this.state.live('open field', name);
    const p = childPath(this.path, name);
    if (this.state.kind(p) !== 'dataset') return undefined;
    return NativeField.open(this.state, p, options?.recordAxis ?? 0);
  }

  createField(name: string, spec: FieldSpec): SinkField {
    checkNodeName(this.state.path, this.path, name, 'field');
    return NativeField.create(this.state, this.handle('create field in'), name, childPath(this.path, name), spec);
  }

  createVirtualField(name: string, spec: VirtualFieldSpec): SinkField {
    checkNodeName(this.state.path, this.path, name, 'field');
    return NativeField.createVirtual(this.state, this.handle('create field in'), name, childPath(this.path, name), spec);
  }

  private absolute(target: string): string {
    return posix.normalize(target.startsWith('/') ? target : `${this.path}/${target}`);
  }

  /** NeXus: the original object of a link carries @target = its own absolute path. */
  private markTarget(abs: string): void {
    if (!this.state.kind(abs)) return;
    const node = new NativeGroup(this.state, abs);
    if (!node.attributeNames().includes('target')) node.setAttribute('target', { type: 'string', shape: [], data: [abs] });
  }

  createSoftLink(target: string, name: string): void {
    const st = this.state;
    checkNodeName(st.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    st.change('create soft link', `${p} -> ${target}`, st.h5.fn.H5Lcreate_soft(target, this.handle('create link in'), name, st.lcpl, 0));
    this.markTarget(this.absolute(target));
  }

  createHardLink(target: string, name: string): void {
    const st = this.state;
    checkNodeName(st.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    const abs = this.absolute(target);
    if (!st.kind(abs)) throw new NxswError('FILE_ERROR', `${st.path}: cannot create hard link ${p}: the target ${abs} does not exist`);
    st.change('create hard link', `${p} -> ${abs}`, st.h5.fn.H5Lcreate_hard(st.fid, abs, this.handle('create link in'), name, st.lcpl, 0));
    this.markTarget(abs);
  }

  link(name: string): { file?: string; path: string } | undefined {
    const st = this.state;
    const { fn } = st.h5;
    checkNodeName(st.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    const gid = this.handle('look up a link in');
    if (fn.H5Lexists(gid, name, 0) <= 0) {
      st.h5.errorStack();
      return undefined;
    }
    const l = linkOf(st.h5, st.path, gid, name, p);
    // a hard link is an object stored here
    if (l.kind === 'soft') return { path: l.path };
    if (l.kind === 'external') return { file: l.file, path: l.path };
    return undefined;
  }

  createExternalLink(file: string, target: string, name: string): void {
    const st = this.state;
    checkNodeName(st.path, this.path, name, 'link');
    const p = childPath(this.path, name);
    st.change('create external link', `${p} -> ${file}:${target}`, st.h5.fn.H5Lcreate_external(file, target, this.handle('create link in'), name, st.lcpl, 0));
  }
}

/** a run of rows with the same frame in a RowBuffer */
interface Run { readonly frame: number[]; n: number; start: number }

/**
 * Rows appended since the last write, in one reused buffer (no garbage per Record), as runs of
 * rows with the same frame shape: a smaller frame is written into the larger extent as it is.
 * The run records are reused too.
 */
class RowBuffer {
  /** the first `runCount` are the runs; the others are kept for reuse */
  private readonly runs: Run[] = [];
  runCount = 0;
  private buf: ValueData;
  private used = 0;
  rows = 0;

  constructor(private readonly type: ElementType) {
    this.buf = type === 'string' ? [] : allocateOf(type, 0);
  }

  get bytes(): number {
    return this.used * ELEMENT_SIZE[this.type];
  }

  /** n rows of a block of shape [n, ...frame] */
  push(data: ValueData, n: number, blockShape: readonly number[]): void {
    const last = this.runCount > 0 ? this.runs[this.runCount - 1]! : undefined;
    if (last && sameFrame(last.frame, blockShape)) last.n += n;
    else {
      const free = this.runs[this.runCount];
      if (free) {
        setLength(free.frame, blockShape.length - 1);
        for (let i = 1; i < blockShape.length; i++) free.frame[i - 1] = blockShape[i]!;
        free.n = n;
        free.start = this.used;
      } else this.runs.push({ frame: blockShape.slice(1), n, start: this.used });
      this.runCount++;
    }
    if (Array.isArray(this.buf)) {
      for (const x of data as string[]) this.buf.push(x);
    } else {
      const typed = this.buf as Exclude<ValueData, string[]>;
      if (this.used + data.length > typed.length) {
        const grown = allocateOf(this.type, Math.max(this.used + data.length, 2 * typed.length, 64));
        (grown as any).set(typed.subarray(0, this.used));
        this.buf = grown;
      }
      (this.buf as any).set(data, this.used);
    }
    this.used += data.length;
    this.rows += n;
  }

  /** run i (valid until the next push or clear) */
  run(i: number): Readonly<Run> {
    return this.runs[i]!;
  }

  /**
   * the data of run i, valid until the next push. The library reads numbers from the start of the
   * array it gets, as many as the memory space holds, so a run at the start is the buffer itself
   * (not for bools, which are converted whole before the write, nor strings)
   */
  runData(i: number): ValueData {
    const r = this.runs[i]!;
    if (r.start === 0 && this.type !== 'bool' && !Array.isArray(this.buf)) return this.buf;
    return sliceOf(this.buf, r.start, r.start + r.n * sizeOf(r.frame));
  }

  clear(): void {
    this.runCount = 0;
    this.used = 0;
    this.rows = 0;
    if (Array.isArray(this.buf)) this.buf.length = 0;
  }
}

class NativeField extends NativeNode implements SinkField {
  /** extent in the file */
  private extent: number[];
  /** the frame shape: the extent without the record axis, grown by appends */
  private frame: number[];
  private readonly pending: RowBuffer;
  /** why values cannot be written to this dataset (one nxsw did not create), if so */
  unwritable: string | undefined;
  /**
   * This object wrote to the dataset. Until then its extent is re-read from the file: a reader
   * may open the dataset by another path (a hard link) while the writer's own field grows it.
   */
  private written = false;
  private targetCache: FieldTarget | undefined;
  /** the extent writeOut resizes to, and the hyperslab it writes (reused) */
  private readonly nextExtent: number[] = [];
  private readonly slabStart: number[] = [];
  private readonly slabCount: number[] = [];

  private constructor(state: FileState, path: string, readonly type: ElementType, readonly contiguous: boolean, extent: number[], readonly recordAxis: number, readonly virtual = false) {
    super(state, path);
    this.extent = extent;
    this.frame = extent.filter((_, i) => i !== recordAxis);
    this.pending = new RowBuffer(type);
  }

  static create(st: FileState, parent: Hid, name: string, path: string, spec: FieldSpec): NativeField {
    const { fn, g } = st.h5;
    const type = spec.type;
    if (typeof type !== 'string' || !ELEMENT_SIZE[type]) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: unknown element type '${String(type)}'`);
    const shape = [...spec.shape];
    if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: bad shape [${shape.join(',')}]`);
    const scalar = shape.length === 0 && (spec.scalar === true || spec.recordAxis === undefined);
    if (shape.length === 0 && !scalar) shape.push(0);
    const recordAxis = spec.recordAxis ?? 0;
    if (!scalar && (recordAxis < 0 || recordAxis >= shape.length)) {
      throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: record axis ${recordAxis} is outside the shape [${shape.join(',')}]`);
    }
    const dcpl = fn.H5Pcreate(g.DATASET_CREATE);
    try {
      if (st.opts.trackOrder) fn.H5Pset_attr_creation_order(dcpl, CRT_ORDER_TRACKED_INDEXED);
      if (!scalar) {
        const chunks = chunkShape({ shape, recordAxis: spec.recordAxis, frameShape: spec.frameShape, elementBytes: ELEMENT_SIZE[type], expectedRecords: spec.expectedRecords }, st.opts.chunk);
        st.check('set the chunks of', path, fn.H5Pset_chunk(dcpl, chunks.length, big(chunks)));
        // vlen strings are heap ids in the dataset: filters would compress pointers, not text
        if (type !== 'string') setFilters(st, dcpl, path, spec.filters ?? []);
      }
      const id = st.withSpace(scalar ? null : shape, scalar ? null : shape.map(() => -1), (space) => st.change('create dataset', path, fn.H5Dcreate2(parent, name, st.fileType(type), space, st.lcpl, dcpl, 0)));
      st.objects.set(path, id);
    } finally {
      fn.H5Pclose(dcpl);
    }
    const field = new NativeField(st, path, type, scalar, scalar ? [] : shape, recordAxis);
    st.fields.set(path, field);
    return field;
  }

  static createVirtual(st: FileState, parent: Hid, name: string, path: string, spec: VirtualFieldSpec): NativeField {
    const { fn, g } = st.h5;
    const type = spec.type;
    if (typeof type !== 'string' || !ELEMENT_SIZE[type]) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: unknown element type '${String(type)}'`);
    const shape = [...spec.shape];
    const maxShape = [...(spec.maxShape ?? shape)];
    if (maxShape.length !== shape.length) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: maxShape [${maxShape.join(',')}] and shape [${shape.join(',')}] differ in rank`);
    if (spec.mappings.length === 0) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: a virtual dataset needs at least one mapping`);
    const dcpl = fn.H5Pcreate(g.DATASET_CREATE);
    try {
      if (spec.fillValue !== undefined && type !== 'string') {
        const fill = allocateOf(type, 1);
        fill[0] = (typeof fill[0] === 'bigint' ? BigInt(spec.fillValue) : Number(spec.fillValue)) as never;
        st.check('set the fill value of', path, fn.H5Pset_fill_value(dcpl, st.memType(type), fill));
      }
      spec.mappings.forEach((m, i) => {
        const what = `${path} (mapping ${i + 1}: ${m.file}:${m.dataset})`;
        st.withSpace(shape, maxShape, (vspace) => {
          selectHyperslab(st, vspace, m.virtualSelection, what);
          // a source's current extent: 0 along an unlimited axis (the file may not exist yet)
          st.withSpace(m.sourceShape.map((d) => Math.max(d, 0)), m.sourceShape, (sspace) => {
            if (m.sourceSelection) selectHyperslab(st, sspace, m.sourceSelection, what);
            else fn.H5Sselect_all(sspace);
            st.check('map', what, fn.H5Pset_virtual(dcpl, vspace, m.file, m.dataset, sspace));
          });
        });
      });
      const id = st.withSpace(shape, maxShape, (space) => st.change('create virtual dataset', path, fn.H5Dcreate2(parent, name, st.fileType(type), space, st.lcpl, dcpl, 0)));
      st.objects.set(path, id);
    } finally {
      fn.H5Pclose(dcpl);
    }
    return new NativeField(st, path, type, false, shape, 0, true);
  }

  static open(st: FileState, path: string, recordAxis: number): NativeField {
    const live = st.fields.get(path);
    if (live && (live.contiguous || live.recordAxis === recordAxis)) return live;
    // another record axis: the rows so far go to the file before the field is read anew
    if (live) {
      live.writeOut();
      st.dirty.delete(live);
    }
    const { fn } = st.h5;
    const id = st.object(path)!;
    const tid = fn.H5Dget_type(id);
    const space = fn.H5Dget_space(id);
    const dcpl = fn.H5Dget_create_plist(id);
    try {
      const type = st.elementTypeOf(tid);
      if (!type) throw new NxswError('FILE_ERROR', `${st.path}: ${path} has a type nxsw cannot write (class ${fn.H5Tget_class(tid)}, size ${fn.H5Tget_size(tid)})`);
      const rank = fn.H5Sget_simple_extent_ndims(space);
      const dims = new BigUint64Array(Math.max(rank, 1));
      if (rank > 0) fn.H5Sget_simple_extent_dims(space, dims, null);
      const shape = rank > 0 ? Array.from(dims, Number) : [];
      // the record axis is not stored in the file: the caller says which one it is
      if (shape.length > 0 && (recordAxis < 0 || recordAxis >= shape.length)) {
        throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: record axis ${recordAxis} is outside the shape [${shape.join(',')}]`);
      }
      const layout = fn.H5Pget_layout(dcpl);
      const field = new NativeField(st, path, type, layout !== D_CHUNKED && layout !== D_VIRTUAL, shape, shape.length > 0 ? recordAxis : 0, layout === D_VIRTUAL);
      // readable, but written as variable-length strings only
      if (type === 'string' && fn.H5Tis_variable_str(tid) <= 0) field.unwritable = 'it holds fixed-length strings; nxsw writes variable-length strings only';
      st.fields.set(path, field);
      return field;
    } finally {
      fn.H5Pclose(dcpl);
      fn.H5Sclose(space);
      fn.H5Tclose(tid);
    }
  }

  get shape(): readonly number[] {
    if (!this.written) this.refreshExtent();
    if (this.contiguous || this.virtual) return [...this.extent];
    return this.extentWith((this.extent[this.recordAxis] ?? 0) + this.pending.rows, []);
  }

  /** the record axis's length of `shape`, without building it (the engine asks on every Record) */
  get rows(): number {
    if (this.contiguous || this.virtual) return 0;
    if (!this.written) this.refreshExtent();
    return (this.extent[this.recordAxis] ?? 0) + this.pending.rows;
  }

  /** the frame with `rows` inserted at the record axis, into `out` */
  private extentWith(rows: number, out: number[]): number[] {
    const k = Math.min(this.recordAxis, this.frame.length);
    const frame = this.frame;
    setLength(out, frame.length + 1);
    for (let i = 0, j = 0; i < out.length; i++) out[i] = i === k ? rows : frame[j++]!;
    return out;
  }

  private where(): string {
    return `${this.state.path}: ${this.path}`;
  }

  private refreshExtent(): void {
    if (this.contiguous) return;
    const { fn } = this.state.h5;
    const space = this.state.check('read the extent of', this.path, fn.H5Dget_space(this.handle('read the extent of')));
    try {
      const rank = fn.H5Sget_simple_extent_ndims(space);
      const dims = new BigUint64Array(Math.max(rank, 1));
      if (rank > 0) fn.H5Sget_simple_extent_dims(space, dims, null);
      this.extent = rank > 0 ? Array.from(dims, Number) : [];
      this.frame = this.extent.filter((_, i) => i !== this.recordAxis);
    } finally {
      fn.H5Sclose(space);
    }
  }

  /** this dataset, for core's checks of written values; refuses datasets nxsw does not write */
  private target(what: string): FieldTarget {
    if (this.virtual) throw new NxswError('VALUE_INVALID', `${this.where()} is a virtual dataset: its data comes from its sources`);
    if (this.unwritable) throw new NxswError('FILE_ERROR', `${this.where()}: cannot ${what}: ${this.unwritable}`);
    // kept while the rank stays (every Record appends through it)
    if (this.targetCache?.rank !== this.extent.length) {
      this.targetCache = { file: this.state.path, path: this.path, type: this.type, rank: this.extent.length, scalar: this.contiguous };
    }
    return this.targetCache;
  }

  write(value: NxValue): void {
    const st = this.state;
    const v = valueToWrite(value, this.target('write'));
    this.written = true;
    const id = this.handle('write');
    if (this.contiguous) {
      st.write(this.path, id, this.type, 0, 0, v.data);
      return;
    }
    this.pending.clear();
    this.frame = v.shape.filter((_, i) => i !== this.recordAxis);
    this.resize(v.shape);
    this.writeSlab(v.shape.map(() => 0), v.shape, v.data);
  }

  append(block: NxValue): void {
    const b = blockToAppend(block, this.target('append'));
    this.written = true;
    const n = b.shape[0]!;
    if (n === 0) return;
    for (let i = 0; i < this.frame.length; i++) this.frame[i] = Math.max(this.frame[i]!, b.shape[i + 1]!);
    this.pending.push(b.data, n, b.shape);
    this.state.dirty.add(this);
    if (this.pending.bytes >= this.state.opts.blockBytes) this.writeOut();
  }

  /** The whole value as the file holds it, the buffered rows written first. */
  read(): NxValue {
    const st = this.state;
    const { fn } = st.h5;
    const id = this.handle('read');
    this.writeOut();
    st.dirty.delete(this);
    const tid = st.check('read', this.path, fn.H5Dget_type(id));
    const space = fn.H5Dget_space(id);
    try {
      return st.readValue(this.path, tid, space, (memType, buf) => fn.H5Dread(id, memType, 0, 0, 0, buf));
    } finally {
      fn.H5Sclose(space);
      fn.H5Tclose(tid);
    }
  }

  /** Writes the pending rows: one resize, then one hyperslab per block (per row for a record axis > 0). */
  writeOut(): void {
    if (this.pending.rows === 0) return;
    const k = this.recordAxis;
    let row = this.extent[k]!;
    try {
      // rows that cannot be written are dropped with the error: the next Record starts clean
      this.resize(this.extentWith(row + this.pending.rows, this.nextExtent));
      for (let i = 0; i < this.pending.runCount; i++) {
        const p = this.pending.run(i);
        const data = this.pending.runData(i);
        if (k === 0) {
          const start = this.slabStart;
          const count = this.slabCount;
          setLength(start, p.frame.length + 1);
          setLength(count, p.frame.length + 1);
          start[0] = row;
          count[0] = p.n;
          for (let d = 0; d < p.frame.length; d++) {
            start[d + 1] = 0;
            count[d + 1] = p.frame[d]!;
          }
          this.writeSlab(start, count, data);
        } else {
          // memory holds [n, ...frame]; the file's record axis is inside the frame: one row at a time
          const size = sizeOf(p.frame);
          for (let r = 0; r < p.n; r++) {
            const count = [...p.frame];
            count.splice(k, 0, 1);
            const offset = count.map(() => 0);
            offset[k] = row + r;
            this.writeSlab(offset, count, sliceOf(data, r * size, (r + 1) * size));
          }
        }
        row += p.n;
      }
    } finally {
      this.pending.clear();
    }
  }

  /** A hyperslab as stored; the pending rows go to the library first, so it matches `shape`. */
  readSlice(start: readonly number[], count: readonly number[]): NxValue {
    const st = this.state;
    const { fn } = st.h5;
    if (this.pending.rows > 0) {
      this.writeOut();
      st.dirty.delete(this);
    }
    const shape = this.shape;
    if (start.length !== shape.length || count.length !== shape.length || start.some((s, i) => !Number.isInteger(s) || s < 0 || !Number.isInteger(count[i]) || count[i]! < 0 || s + count[i]! > shape[i]!)) {
      throw new NxswError('VALUE_INVALID', `${this.where()}: the slice start [${start.join(',')}] count [${count.join(',')}] is outside the shape [${shape.join(',')}]`);
    }
    const n = sizeOf(count);
    const id = this.handle('read');
    const readInto = (buf: unknown, memType: Hid): void => {
      if (this.contiguous) {
        st.check('read', this.path, fn.H5Dread(id, memType, 0, 0, 0, buf));
        return;
      }
      if (n === 0) return;
      const fileSpace = st.check('read', this.path, fn.H5Dget_space(id));
      try {
        st.check('select in', this.path, fn.H5Sselect_hyperslab(fileSpace, S_SELECT_SET, big(start), null, big(count), null));
        st.withSpace(count, null, (memSpace) => st.check('read', this.path, fn.H5Dread(id, memType, memSpace, fileSpace, 0, buf)));
      } finally {
        fn.H5Sclose(fileSpace);
      }
    };
    if (this.type !== 'string') {
      const data = allocateOf(this.type, n);
      readInto(data, st.memType(this.type));
      return { type: this.type, shape: [...count], data };
    }
    const ptrs = new Uint8Array(8 * Math.max(n, 1));
    readInto(ptrs, st.strType);
    const out = st.h5.decodePointers(ptrs, n).map((x) => x ?? '');
    const dv = new DataView(ptrs.buffer);
    for (let i = 0; i < n; i++) {
      const p = dv.getBigUint64(8 * i, true);
      if (p) fn.H5free_memory(p);
    }
    return { type: 'string', shape: [...count], data: out };
  }

  private resize(shape: readonly number[]): void {
    const extent = this.extent;
    let same = shape.length === extent.length;
    for (let i = 0; same && i < shape.length; i++) same = shape[i] === extent[i];
    if (same) return;
    const st = this.state;
    st.change('resize', this.path, st.h5.fn.H5Dset_extent(this.handle('resize'), st.dimsArg.of(shape)));
    setLength(extent, shape.length);
    for (let i = 0; i < shape.length; i++) extent[i] = shape[i]!;
  }

  /** One hyperslab into the file, through a memory space of its shape (the append path: nothing allocated but the handles). */
  private writeSlab(offset: readonly number[], count: readonly number[], data: ValueData): void {
    if (sizeOf(count) === 0) return;
    const st = this.state;
    const { fn } = st.h5;
    const id = this.handle('write');
    const fileSpace = st.check('write', this.path, fn.H5Dget_space(id));
    try {
      const dims = st.countArg.of(count);
      st.check('select in', this.path, fn.H5Sselect_hyperslab(fileSpace, S_SELECT_SET, st.startArg.of(offset), null, dims, null));
      const memSpace = st.check('create', 'a dataspace', count.length === 0 ? fn.H5Screate(S_SCALAR) : fn.H5Screate_simple(count.length, dims, null));
      try {
        st.write(this.path, id, this.type, memSpace, fileSpace, data);
      } finally {
        fn.H5Sclose(memSpace);
      }
    } finally {
      fn.H5Sclose(fileSpace);
    }
  }
}

const ELEMENT_SIZE: Record<ElementType, number> = {
  int8: 1, uint8: 1, bool: 1, int16: 2, uint16: 2, int32: 4, uint32: 4, float32: 4, int64: 8, uint64: 8, float64: 8, string: 16,
};

/** sets an array's length only when it differs (assigning a length, even the same or 0, can give up its storage) */
function setLength(a: number[], n: number): void {
  if (a.length !== n) a.length = n;
}

/** whether a block of shape [n, ...frame] has this frame */
function sameFrame(frame: readonly number[], blockShape: readonly number[]): boolean {
  if (blockShape.length !== frame.length + 1) return false;
  for (let i = 0; i < frame.length; i++) if (frame[i] !== blockShape[i + 1]) return false;
  return true;
}

function sliceOf(data: ValueData, from: number, to: number): ValueData {
  return Array.isArray(data) ? data.slice(from, to) : (data as Exclude<ValueData, string[]>).subarray(from, to);
}

function selectHyperslab(st: FileState, space: Hid, h: Hyperslab, what: string): void {
  const rank = h.start.length;
  const parts = [h.count, h.stride, h.block].filter((x) => x !== undefined);
  if (parts.some((x) => x!.length !== rank)) throw new NxswError('VALUE_INVALID', `${st.path}: ${what}: the hyperslab's start, count, stride and block differ in rank`);
  st.check('select in', what, st.h5.fn.H5Sselect_hyperslab(space, S_SELECT_SET, big(h.start), h.stride ? big(h.stride) : null, big(h.count), h.block ? big(h.block) : null));
}

/** Sets the filter pipeline in order; a filter the library lacks is skipped when optional, else refused naming it. */
function setFilters(st: FileState, dcpl: Hid, path: string, filters: readonly FilterSpec[]): void {
  const { fn } = st.h5;
  for (const f of filters) {
    switch (f.id) {
      case 1: {
        const level = f.cdValues?.[0] ?? 4;
        if (!Number.isInteger(level) || level < 0 || level > 9) throw new NxswError('VALUE_INVALID', `${st.path}: ${path}: deflate level ${level} is not an integer 0..9`);
        st.check('set deflate on', path, fn.H5Pset_deflate(dcpl, level));
        break;
      }
      case 2: st.check('set shuffle on', path, fn.H5Pset_shuffle(dcpl)); break;
      case 3: st.check('set fletcher32 on', path, fn.H5Pset_fletcher32(dcpl)); break;
      default: {
        // H5Zfilter_avail also looks in HDF5_PLUGIN_PATH (default /usr/local/hdf5/lib/plugin)
        const avail = fn.H5Zfilter_avail(f.id);
        st.h5.errorStack();
        if (avail <= 0) {
          if (f.optional) continue;
          throw new NxswError('FILE_ERROR', `${st.path}: cannot create ${path}: HDF5 filter ${f.id} is not available (neither built into ${st.h5.file} nor found in HDF5_PLUGIN_PATH=${process.env['HDF5_PLUGIN_PATH'] ?? '(default)'})`);
        }
        const cd = Uint32Array.from(f.cdValues ?? []);
        st.check(`set filter ${f.id} on`, path, fn.H5Pset_filter(dcpl, f.id, f.optional ? Z_FLAG_OPTIONAL : 0, cd.length, cd.length ? cd : null));
      }
    }
  }
}

class NativeFile implements SinkFile {
  readonly root: SinkGroup;
  constructor(private readonly state: FileState, private readonly low: number) {
    this.root = new NativeGroup(state, '/');
  }
  get path(): string {
    return this.state.path;
  }
  get libraryVersion(): string {
    return this.state.h5.version;
  }
  flush(): void {
    this.state.flush();
  }
  startSwmr(): void {
    const st = this.state;
    if (st.swmr) return;
    st.flush();
    if (this.low < LIBVER.v110) {
      throw new NxswError('FILE_ERROR', `${st.path}: cannot start SWMR writing: the file was opened without swmr (SWMR needs libver v110 or later from the start)`);
    }
    st.check('start SWMR writing on', 'the file', st.h5.fn.H5Fstart_swmr_write(st.fid));
    st.swmr = true;
  }
  close(): void {
    this.state.close();
  }
}

export class NativeHdf5SinkFactory implements SinkFactory {
  readonly kind = 'sink' as const;
  readonly name = 'HDF5';
  readonly suffixes = ['.nxs', '.h5', '.hdf5', '.nx5'] as const;
  private readonly opts: Resolved;

  constructor(options: NativeSinkOptions = {}) {
    this.opts = {
      libver: options.libver,
      chunk: chunkPolicy(options),
      blockBytes: options.blockBytes ?? 16 << 20,
      trackOrder: options.trackOrder ?? true,
    };
  }

  async open(path: string, options: SinkOpenOptions): Promise<SinkFile> {
    const h5 = hdf5();
    const { fn, g } = h5;
    const file = resolvePath(path);
    const dir = dirname(file);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new NxswError('FILE_ERROR', `${file}: cannot open: the directory ${dir} does not exist`);
    const exists = existsSync(file);
    if (exists && !statSync(file).isFile()) throw new NxswError('FILE_ERROR', `${file}: cannot open: it is not a regular file`);
    if (options.mode === 'create' && exists) throw new NxswError('FILE_ERROR', `${file}: the file exists (mode 'create' never overwrites it; use mode 'append' to add to it)`);
    const key = join(realpathSync(dir), basename(file));
    if (openHere.has(key)) throw new NxswError('FILE_LOCKED', `${file} is locked: this process (${process.pid}) has it open for writing`);
    const libver = this.opts.libver ?? (options.swmr ? 'v110' : 'v18');
    // H5F_LIBVER_LATEST of the loaded series (versions.ts): v110 in 1.10, v112 in 1.12, v114 in 1.14
    const latest = h5.traits.libverLatest;
    const low = libver === 'latest' ? latest : LIBVER[libver];
    if (low > latest) throw new NxswError('FILE_ERROR', `${file}: libver ${libver} needs a newer HDF5 than ${h5.version}`);
    const fapl = fn.H5Pcreate(g.FILE_ACCESS);
    const fcpl = fn.H5Pcreate(g.FILE_CREATE);
    let fid: Hid;
    let stack: string[] = [];
    try {
      // upper bound at least v110, so that HDF5 1.10 readers can open the file
      fn.H5Pset_libver_bounds(fapl, low, Math.max(low, LIBVER.v110));
      fn.H5Pset_fclose_degree(fapl, F_CLOSE_STRONG);
      if (this.opts.trackOrder) {
        fn.H5Pset_link_creation_order(fcpl, CRT_ORDER_TRACKED_INDEXED);
        fn.H5Pset_attr_creation_order(fcpl, CRT_ORDER_TRACKED_INDEXED);
      }
      fid = exists ? fn.H5Fopen(file, F_ACC_RDWR, fapl) : fn.H5Fcreate(file, F_ACC_EXCL, fcpl, fapl);
      // read now: the next API call (H5Pclose) clears the stack
      if (fid < 0) stack = h5.errorStack();
    } finally {
      fn.H5Pclose(fapl);
      fn.H5Pclose(fcpl);
    }
    if (fid < 0) {
      if (stack.some((m) => /unable to lock file/.test(m))) {
        throw new NxswError('FILE_LOCKED', `${file} is locked: another process has it open; HDF5 programs lock the files they open, and nxsw does not write a file that another program has open (HDF5: ${stack[stack.length - 1]})`);
      }
      throw new NxswError('FILE_ERROR', `${file}: cannot ${exists ? 'open' : 'create'} the file: ${reason(stack)}`);
    }
    h5.closeOnExec(fid);
    openHere.add(key);
    return new NativeFile(new FileState(h5, file, fid, this.opts, key), low);
  }

  /** the file read-only, for `nxsw validate` (reader.ts) */
  openReader(path: string): Promise<SinkReader> {
    return openNativeReader(path);
  }
}
