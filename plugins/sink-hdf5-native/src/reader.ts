/**
 * Read-only access to an HDF5 file's structure (SinkFactory.openReader, used by `nxsw validate`)
 * on the system's HDF5 library: groups, datasets with type and shape, attributes, links; dataset
 * values only when asked for and small. Every group and dataset reached is opened once and kept
 * open until close(), which closes them all and then the file (the reader's own handles: nothing
 * is left to the library's close degree).
 *
 * Locks are HDF5's own, as for h5py: a file another process holds for writing is refused
 * (FILE_LOCKED) unless HDF5_USE_FILE_LOCKING=FALSE; a file being written with SWMR is opened as a
 * SWMR reader; a file this process writes is refused (the library would share the writer's open).
 */
import { existsSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve as resolvePath } from 'node:path';
import {
  NxswError, sizeOf,
  type ElementType, type ReadAttribute, type ReadField, type ReadGroup, type ReadNode, type SinkReader,
} from '@nxsw/core';
import { hdf5, type H5Lib, type Hid } from './lib.js';
import { INDEX_CRT_ORDER, INDEX_NAME, ITER_INC, attributeNamesOf, elementTypeOf, linkOf, openHere, readStored, reason, shapeOf, typeLabelOf } from './common.js';

const F_ACC_RDONLY = 0;
const F_ACC_SWMR_READ = 0x40;
const F_OBJ_ALL = 0x1f;
const I_GROUP = 2;
const I_DATASET = 5;
const VARIABLE = 0xffffffffffffffffn;
const CSET_UTF8 = 1;
const S_SCALAR = 0;
const S_SELECT_SET = 0;

/** HDF5 objects (files, groups, datasets, types, attributes…) open in this process, for leak checks */
export function openObjectCount(): number {
  // H5F_OBJ_ALL as the file id: every open file
  return Number(hdf5().fn.H5Fget_obj_count(F_OBJ_ALL, F_OBJ_ALL));
}

class NativeReader implements SinkReader {
  readonly root: ReadGroup;
  /** groups and datasets opened while walking, closed by close() */
  private readonly handles: Hid[] = [];
  private readonly strType: Hid;
  private closed = false;

  constructor(private readonly h5: H5Lib, readonly path: string, private readonly fid: Hid) {
    const { fn, g } = h5;
    // variable-length UTF-8 strings in memory (what h5py writes; ASCII ones convert)
    this.strType = fn.H5Tcopy(g.C_S1);
    fn.H5Tset_size(this.strType, VARIABLE);
    fn.H5Tset_cset(this.strType, CSET_UTF8);
    const root = this.open(fid, '/');
    if (root === undefined || fn.H5Iget_type(root) !== I_GROUP) {
      this.close();
      throw new NxswError('FILE_ERROR', `${path}: cannot open the root group`);
    }
    this.root = this.group(root, '/');
  }

  private live(what: string): void {
    if (this.closed) throw new NxswError('FILE_ERROR', `${this.path}: cannot ${what}: the reader is closed`);
  }

  private fail(what: string): never {
    throw new NxswError('FILE_ERROR', `${this.path}: cannot ${what}: ${reason(this.h5.errorStack())}`);
  }

  /** opens `name` below `loc` (links followed) and keeps the handle; undefined when it cannot be opened */
  private open(loc: Hid, name: string): Hid | undefined {
    const id = this.h5.fn.H5Oopen(loc, name, 0) as Hid;
    if (id < 0) {
      this.h5.errorStack();
      return undefined;
    }
    this.handles.push(id);
    return id;
  }

  private group(gid: Hid, path: string, softLink?: string): ReadGroup {
    let children: Array<{ name: string; node: ReadNode }> | undefined;
    return {
      kind: 'group', path, ...(softLink === undefined ? {} : { softLink }),
      attributes: () => this.attributes(gid, path),
      // opened once: a second walk reuses the nodes (and their handles)
      children: () => {
        this.live(`list ${path}`);
        return (children ??= this.children(gid, path));
      },
    };
  }

  private children(gid: Hid, path: string): Array<{ name: string; node: ReadNode }> {
    const { fn } = this.h5;
    const info: { nlinks?: bigint | number } = {};
    if (fn.H5Gget_info(gid, info) < 0) this.fail(`list ${path}`);
    const out: Array<{ name: string; node: ReadNode }> = [];
    let buf = new Uint8Array(256);
    // creation order where the group tracks it (nxsw's files: the configuration's order), else name order
    let index = INDEX_CRT_ORDER;
    for (let i = 0; i < Number(info.nlinks ?? 0); i++) {
      let n = Number(fn.H5Lget_name_by_idx(gid, '.', index, ITER_INC, i, buf, buf.length, 0));
      if (n < 0 && index === INDEX_CRT_ORDER) {
        this.h5.errorStack();
        index = INDEX_NAME;
        n = Number(fn.H5Lget_name_by_idx(gid, '.', index, ITER_INC, i, buf, buf.length, 0));
      }
      if (n < 0) this.fail(`list ${path}`);
      if (n >= buf.length) {
        buf = new Uint8Array(n + 1);
        n = Number(fn.H5Lget_name_by_idx(gid, '.', index, ITER_INC, i, buf, buf.length, 0));
      }
      const name = Buffer.from(buf.buffer, 0, n).toString('utf8');
      out.push({ name, node: this.node(gid, name, path === '/' ? `/${name}` : `${path}/${name}`) });
    }
    return out;
  }

  private node(parent: Hid, name: string, path: string): ReadNode {
    const { fn } = this.h5;
    const link = linkOf(this.h5, this.path, parent, name, path);
    if (link.kind === 'external') return { kind: 'unresolved', path, reason: `an external link to ${link.file}:${link.path}`, link: { file: link.file, path: link.path } };
    if (link.kind === 'other') return { kind: 'unresolved', path, reason: `a user-defined link (type ${link.type})` };
    const id = this.open(parent, name);
    if (id === undefined) {
      return link.kind === 'soft'
        ? { kind: 'unresolved', path, reason: `a soft link to ${link.path}, which does not exist`, link: { path: link.path } }
        : { kind: 'unresolved', path, reason: 'an object HDF5 cannot open' };
    }
    const t = fn.H5Iget_type(id);
    const softLink = link.kind === 'soft' ? link.path : undefined;
    if (t === I_GROUP) return this.group(id, path, softLink);
    if (t === I_DATASET) return this.field(id, path, softLink);
    return { kind: 'unresolved', path, reason: 'an object that is neither a group nor a dataset (a named datatype)' };
  }

  private field(did: Hid, path: string, softLink?: string): ReadField {
    const { fn } = this.h5;
    const tid = fn.H5Dget_type(did) as Hid;
    if (tid < 0) this.fail(`read the type of ${path}`);
    const space = fn.H5Dget_space(did) as Hid;
    let type: ElementType | undefined;
    let typeLabel: string;
    let shape: number[] | null;
    try {
      if (space < 0) this.fail(`read the shape of ${path}`);
      type = elementTypeOf(this.h5, tid);
      typeLabel = typeLabelOf(this.h5, tid);
      shape = shapeOf(this.h5, space);
    } finally {
      if (space >= 0) fn.H5Sclose(space);
      fn.H5Tclose(tid);
    }
    return {
      kind: 'field', path, type, typeLabel, shape: shape ?? [], ...(softLink === undefined ? {} : { softLink }),
      attributes: () => this.attributes(did, path),
      read: (maxElements) => {
        if (!type || shape === null || sizeOf(shape) > maxElements) return undefined;
        return this.withTypeAndSpace(path, did, 'dataset', (tid, space, read) => readStored(this.h5, this.path, path, tid, space, this.strType, read));
      },
      readSlice: (start, count) => {
        const dims = shape ?? [];
        if (start.length !== dims.length || count.length !== dims.length || start.some((s, i) => !Number.isInteger(s) || s < 0 || !Number.isInteger(count[i]) || count[i]! < 0 || s + count[i]! > dims[i]!)) {
          throw new NxswError('VALUE_INVALID', `${this.path}: ${path}: the slice start [${start.join(',')}] count [${count.join(',')}] is outside the shape [${dims.join(',')}]`);
        }
        if (!type || shape === null) return undefined;
        return this.withTypeAndSpace(path, did, 'dataset', (tid, fileSpace) => {
          const { fn } = this.h5;
          // the file selection and a memory space of the slice's shape; readStored takes the shape from the latter
          if (dims.length > 0 && fn.H5Sselect_hyperslab(fileSpace, S_SELECT_SET, BigUint64Array.from(start, BigInt), null, BigUint64Array.from(count, BigInt), null) < 0) this.fail(`select a slice of ${path}`);
          const mem = (dims.length === 0 ? fn.H5Screate(S_SCALAR) : fn.H5Screate_simple(count.length, BigUint64Array.from(count, BigInt), null)) as Hid;
          if (mem < 0) this.fail(`read ${path}`);
          try {
            return readStored(this.h5, this.path, path, tid, mem, this.strType, (memType, buf) => fn.H5Dread(did, memType, mem, fileSpace, 0, buf));
          } finally {
            fn.H5Sclose(mem);
          }
        });
      },
    };
  }

  /** runs `use` with a dataset's or attribute's type and space (closed after) and its whole read */
  private withTypeAndSpace<T>(what: string, id: Hid, kind: 'dataset' | 'attribute', use: (tid: Hid, space: Hid, read: (mem: Hid, buf: unknown) => number) => T): T {
    this.live(`read ${what}`);
    const { fn } = this.h5;
    const tid = (kind === 'dataset' ? fn.H5Dget_type(id) : fn.H5Aget_type(id)) as Hid;
    if (tid < 0) this.fail(`read ${what}`);
    const space = (kind === 'dataset' ? fn.H5Dget_space(id) : fn.H5Aget_space(id)) as Hid;
    try {
      if (space < 0) this.fail(`read ${what}`);
      return use(tid, space, (mem, buf) => (kind === 'dataset' ? fn.H5Dread(id, mem, 0, 0, 0, buf) : fn.H5Aread(id, mem, buf)));
    } finally {
      if (space >= 0) fn.H5Sclose(space);
      fn.H5Tclose(tid);
    }
  }

  /** attribute names in creation order where the file tracks it, else in name order */
  private attributeNames(obj: Hid, path: string): string[] {
    return attributeNamesOf(this.h5, obj, true, () => this.fail(`list the attributes of ${path}`));
  }

  /** each attribute is opened (and closed) when its type, shape or value is asked for */
  private attributes(obj: Hid, path: string): ReadAttribute[] {
    this.live(`list the attributes of ${path}`);
    return this.attributeNames(obj, path).map((name): ReadAttribute => {
      const where = `attribute ${path === '/' ? '' : path}/@${name}`;
      const withAttr = <T>(use: (aid: Hid) => T): T => {
        this.live(`read ${where}`);
        const aid = this.h5.fn.H5Aopen(obj, name, 0) as Hid;
        if (aid < 0) this.fail(`open ${where}`);
        try {
          return use(aid);
        } finally {
          this.h5.fn.H5Aclose(aid);
        }
      };
      let meta: { type: ElementType | undefined; shape: number[] | null } | undefined;
      const metadata = () => (meta ??= withAttr((aid) => this.withTypeAndSpace(where, aid, 'attribute', (tid, space) => ({ type: elementTypeOf(this.h5, tid), shape: shapeOf(this.h5, space) }))));
      return {
        name,
        get type() {
          return metadata().type;
        },
        get shape() {
          return metadata().shape ?? [];
        },
        value: () => {
          const m = metadata();
          if (!m.type || m.shape === null) return undefined;
          return withAttr((aid) => this.withTypeAndSpace(where, aid, 'attribute', (tid, space, read) => readStored(this.h5, this.path, where, tid, space, this.strType, read)));
        },
      };
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const { fn } = this.h5;
    for (const id of this.handles.reverse()) fn.H5Oclose(id);
    this.handles.length = 0;
    fn.H5Tclose(this.strType);
    if (fn.H5Fclose(this.fid) < 0) this.fail('close the file');
  }
}

/** Opens `path` read-only; errors name the file and say why (missing, not HDF5, locked). */
export async function openNativeReader(path: string): Promise<SinkReader> {
  const h5 = hdf5();
  const { fn } = h5;
  const file = resolvePath(path);
  if (!existsSync(file)) throw new NxswError('FILE_ERROR', `${file}: no such file`);
  if (!statSync(file).isFile()) throw new NxswError('FILE_ERROR', `${file}: cannot read it: it is not a regular file`);
  if (openHere.has(join(realpathSync(dirname(file)), basename(file)))) {
    throw new NxswError('FILE_LOCKED', `${file} is locked: this process (${process.pid}) has it open for writing; read it after the file is closed`);
  }
  let fid = fn.H5Fopen(file, F_ACC_RDONLY, 0) as Hid;
  let stack = fid < 0 ? h5.errorStack() : [];
  // a writer in SWMR mode keeps plain readers off (the superblock says "open for writing"): read as a SWMR reader
  if (fid < 0 && stack.some((m) => /already open for (write|SWMR)/.test(m))) {
    fid = fn.H5Fopen(file, F_ACC_RDONLY | F_ACC_SWMR_READ, 0) as Hid;
    if (fid < 0) {
      h5.errorStack(); // not a SWMR writer (a crashed writer's flags): the first reason is the one to give
      throw new NxswError('FILE_LOCKED', `${file} is marked open for writing by another HDF5 program (or one that crashed; h5clear -s clears the mark): ${reason(stack)}`);
    }
    stack = [];
  }
  if (fid < 0) {
    if (stack.some((m) => /unable to lock file/.test(m))) {
      throw new NxswError('FILE_LOCKED', `${file} is locked: another process has it open for writing; HDF5 readers wait for the writer to close it (HDF5_USE_FILE_LOCKING=FALSE reads it anyway, at the risk of a half-written state) (HDF5: ${stack[stack.length - 1]})`);
    }
    throw new NxswError('FILE_ERROR', `${file}: cannot open it as an HDF5 file: ${reason(stack)}`);
  }
  return new NativeReader(h5, file, fid);
}
