/**
 * The system's HDF5 C library, loaded at run time through koffi (an FFI whose prebuilt binaries
 * ship inside its npm package: nothing is compiled at install, so `npm ci` never fails for want of
 * headers or a compiler). Most functions bound here have the same exported symbol and C signature
 * in HDF5 1.10, 1.12 and 1.14; what differs (the link-info function and its struct, the newest
 * libver bound) comes from one table by the loaded library's version (versions.ts), and a series
 * not in that table is refused. No H5Oget_info / H5Literate / H5Ovisit / H5R*: names are listed
 * with H5Gget_info + H5Lget_name_by_idx and object kinds come from H5Oopen + H5Iget_type.
 */
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { NxswError } from '@nxsw/core';
import { traitsFor, type VersionTraits } from './versions.js';

/** an HDF5 identifier: koffi returns int64 as a number when it is a safe integer, else a BigInt */
export type Hid = number | bigint;
type Fn = (...args: any[]) => any;

/** Library directories searched when no plain `libhdf5.so` resolves (Debian ships only versioned serial names without -dev). */
const LIB_DIRS = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib', '/usr/lib/x86_64-linux-gnu/hdf5/serial'];

const SIGNATURES = {
  H5open: 'int H5open()',
  H5close: 'int H5close()',
  H5get_libversion: 'int H5get_libversion(_Out_ unsigned int *maj, _Out_ unsigned int *min, _Out_ unsigned int *rel)',
  H5free_memory: 'int H5free_memory(void *mem)',
  H5Eset_auto2: 'int H5Eset_auto2(int64_t estack, void *func, void *data)',
  H5Eclear2: 'int H5Eclear2(int64_t estack)',
  H5Ewalk2: 'int H5Ewalk2(int64_t estack, int direction, H5E_walk2_t *func, void *data)',
  H5Fcreate: 'int64_t H5Fcreate(const char *name, unsigned int flags, int64_t fcpl, int64_t fapl)',
  H5Fopen: 'int64_t H5Fopen(const char *name, unsigned int flags, int64_t fapl)',
  H5Fflush: 'int H5Fflush(int64_t id, int scope)',
  H5Fclose: 'int H5Fclose(int64_t id)',
  H5Fstart_swmr_write: 'int H5Fstart_swmr_write(int64_t id)',
  H5Fget_obj_count: 'int64_t H5Fget_obj_count(int64_t id, unsigned int types)',
  H5Fget_vfd_handle: 'int H5Fget_vfd_handle(int64_t id, int64_t fapl, _Out_ void **handle)',
  H5Pcreate: 'int64_t H5Pcreate(int64_t cls)',
  H5Pclose: 'int H5Pclose(int64_t id)',
  H5Pset_libver_bounds: 'int H5Pset_libver_bounds(int64_t fapl, int low, int high)',
  H5Pset_fclose_degree: 'int H5Pset_fclose_degree(int64_t fapl, int degree)',
  H5Pset_link_creation_order: 'int H5Pset_link_creation_order(int64_t plist, unsigned int flags)',
  H5Pset_attr_creation_order: 'int H5Pset_attr_creation_order(int64_t plist, unsigned int flags)',
  H5Pset_char_encoding: 'int H5Pset_char_encoding(int64_t plist, int encoding)',
  H5Pset_chunk: 'int H5Pset_chunk(int64_t plist, int ndims, const uint64_t *dims)',
  H5Pget_layout: 'int H5Pget_layout(int64_t plist)',
  H5Pset_deflate: 'int H5Pset_deflate(int64_t plist, unsigned int level)',
  H5Pset_shuffle: 'int H5Pset_shuffle(int64_t plist)',
  H5Pset_fletcher32: 'int H5Pset_fletcher32(int64_t plist)',
  H5Pset_filter: 'int H5Pset_filter(int64_t plist, int id, unsigned int flags, size_t n, const unsigned int *cd)',
  H5Pset_fill_value: 'int H5Pset_fill_value(int64_t plist, int64_t type, const void *value)',
  H5Pset_virtual: 'int H5Pset_virtual(int64_t dcpl, int64_t vspace, const char *file, const char *dset, int64_t srcspace)',
  H5Zfilter_avail: 'int H5Zfilter_avail(int id)',
  H5Gcreate2: 'int64_t H5Gcreate2(int64_t loc, const char *name, int64_t lcpl, int64_t gcpl, int64_t gapl)',
  H5Gopen2: 'int64_t H5Gopen2(int64_t loc, const char *name, int64_t gapl)',
  H5Gclose: 'int H5Gclose(int64_t id)',
  H5Gget_info: 'int H5Gget_info(int64_t loc, _Out_ H5G_info_t *info)',
  H5Lget_name_by_idx: 'int64_t H5Lget_name_by_idx(int64_t loc, const char *group, int index, int order, uint64_t n, _Out_ uint8_t *name, size_t size, int64_t lapl)',
  H5Lexists: 'int H5Lexists(int64_t loc, const char *name, int64_t lapl)',
  H5Lget_val: 'int H5Lget_val(int64_t loc, const char *name, _Out_ uint8_t *buf, size_t size, int64_t lapl)',
  H5Lcreate_soft: 'int H5Lcreate_soft(const char *target, int64_t loc, const char *name, int64_t lcpl, int64_t lapl)',
  H5Lcreate_hard: 'int H5Lcreate_hard(int64_t cur, const char *curName, int64_t dst, const char *dstName, int64_t lcpl, int64_t lapl)',
  H5Lcreate_external: 'int H5Lcreate_external(const char *file, const char *obj, int64_t loc, const char *name, int64_t lcpl, int64_t lapl)',
  H5Oopen: 'int64_t H5Oopen(int64_t loc, const char *name, int64_t lapl)',
  H5Oclose: 'int H5Oclose(int64_t id)',
  H5Iget_type: 'int H5Iget_type(int64_t id)',
  H5Screate: 'int64_t H5Screate(int type)',
  H5Screate_simple: 'int64_t H5Screate_simple(int rank, const uint64_t *dims, const uint64_t *maxdims)',
  H5Sget_simple_extent_ndims: 'int H5Sget_simple_extent_ndims(int64_t space)',
  H5Sget_simple_extent_dims: 'int H5Sget_simple_extent_dims(int64_t space, _Out_ uint64_t *dims, _Out_ uint64_t *maxdims)',
  H5Sget_simple_extent_type: 'int H5Sget_simple_extent_type(int64_t space)',
  H5Sget_simple_extent_npoints: 'int64_t H5Sget_simple_extent_npoints(int64_t space)',
  H5Sselect_hyperslab: 'int H5Sselect_hyperslab(int64_t space, int op, const uint64_t *start, const uint64_t *stride, const uint64_t *count, const uint64_t *block)',
  H5Sselect_all: 'int H5Sselect_all(int64_t space)',
  H5Sclose: 'int H5Sclose(int64_t id)',
  H5Tcopy: 'int64_t H5Tcopy(int64_t type)',
  H5Tclose: 'int H5Tclose(int64_t type)',
  H5Tset_size: 'int H5Tset_size(int64_t type, size_t size)',
  H5Tset_cset: 'int H5Tset_cset(int64_t type, int cset)',
  H5Tenum_create: 'int64_t H5Tenum_create(int64_t base)',
  H5Tenum_insert: 'int H5Tenum_insert(int64_t type, const char *name, const void *value)',
  H5Tget_class: 'int H5Tget_class(int64_t type)',
  H5Tget_size: 'size_t H5Tget_size(int64_t type)',
  H5Tget_sign: 'int H5Tget_sign(int64_t type)',
  H5Tis_variable_str: 'int H5Tis_variable_str(int64_t type)',
  H5Tget_nmembers: 'int H5Tget_nmembers(int64_t type)',
  H5Tget_member_name: 'void *H5Tget_member_name(int64_t type, unsigned int index)',
  H5Tget_member_value: 'int H5Tget_member_value(int64_t type, unsigned int index, _Out_ uint8_t *value)',
  H5Dcreate2: 'int64_t H5Dcreate2(int64_t loc, const char *name, int64_t type, int64_t space, int64_t lcpl, int64_t dcpl, int64_t dapl)',
  H5Dopen2: 'int64_t H5Dopen2(int64_t loc, const char *name, int64_t dapl)',
  H5Dclose: 'int H5Dclose(int64_t id)',
  H5Dget_space: 'int64_t H5Dget_space(int64_t id)',
  H5Dget_type: 'int64_t H5Dget_type(int64_t id)',
  H5Dget_create_plist: 'int64_t H5Dget_create_plist(int64_t id)',
  H5Dset_extent: 'int H5Dset_extent(int64_t id, const uint64_t *size)',
  H5Dread: 'int H5Dread(int64_t id, int64_t memType, int64_t memSpace, int64_t fileSpace, int64_t xfer, _Out_ void *buf)',
  H5Dwrite: 'int H5Dwrite(int64_t id, int64_t memType, int64_t memSpace, int64_t fileSpace, int64_t xfer, const void *buf)',
  H5Acreate2: 'int64_t H5Acreate2(int64_t loc, const char *name, int64_t type, int64_t space, int64_t acpl, int64_t aapl)',
  H5Aopen: 'int64_t H5Aopen(int64_t obj, const char *name, int64_t aapl)',
  H5Aexists: 'int H5Aexists(int64_t obj, const char *name)',
  H5Adelete: 'int H5Adelete(int64_t obj, const char *name)',
  H5Awrite: 'int H5Awrite(int64_t attr, int64_t memType, const void *buf)',
  H5Aread: 'int H5Aread(int64_t attr, int64_t memType, _Out_ void *buf)',
  H5Aget_type: 'int64_t H5Aget_type(int64_t attr)',
  H5Aget_space: 'int64_t H5Aget_space(int64_t attr)',
  H5Aclose: 'int H5Aclose(int64_t attr)',
  H5Aget_name_by_idx: 'int64_t H5Aget_name_by_idx(int64_t loc, const char *obj, int index, int order, uint64_t n, _Out_ uint8_t *name, size_t size, int64_t lapl)',
} as const;

/** the same functions declared with arguments of another C type (strings, pointers) */
const VARIANTS = {
  H5Dwrite_strings: 'int H5Dwrite(int64_t id, int64_t memType, int64_t memSpace, int64_t fileSpace, int64_t xfer, const char **buf)',
  H5Awrite_strings: 'int H5Awrite(int64_t attr, int64_t memType, const char **buf)',
} as const;

const GLOBALS = {
  NATIVE_INT8: 'H5T_NATIVE_SCHAR_g', NATIVE_UINT8: 'H5T_NATIVE_UCHAR_g', NATIVE_INT16: 'H5T_NATIVE_SHORT_g', NATIVE_UINT16: 'H5T_NATIVE_USHORT_g',
  NATIVE_INT32: 'H5T_NATIVE_INT_g', NATIVE_UINT32: 'H5T_NATIVE_UINT_g', NATIVE_INT64: 'H5T_NATIVE_LLONG_g', NATIVE_UINT64: 'H5T_NATIVE_ULLONG_g',
  NATIVE_FLOAT: 'H5T_NATIVE_FLOAT_g', NATIVE_DOUBLE: 'H5T_NATIVE_DOUBLE_g', C_S1: 'H5T_C_S1_g',
  STD_I8LE: 'H5T_STD_I8LE_g', STD_U8LE: 'H5T_STD_U8LE_g', STD_I16LE: 'H5T_STD_I16LE_g', STD_U16LE: 'H5T_STD_U16LE_g',
  STD_I32LE: 'H5T_STD_I32LE_g', STD_U32LE: 'H5T_STD_U32LE_g', STD_I64LE: 'H5T_STD_I64LE_g', STD_U64LE: 'H5T_STD_U64LE_g',
  IEEE_F32LE: 'H5T_IEEE_F32LE_g', IEEE_F64LE: 'H5T_IEEE_F64LE_g',
  FILE_CREATE: 'H5P_CLS_FILE_CREATE_ID_g', FILE_ACCESS: 'H5P_CLS_FILE_ACCESS_ID_g', DATASET_CREATE: 'H5P_CLS_DATASET_CREATE_ID_g',
  GROUP_CREATE: 'H5P_CLS_GROUP_CREATE_ID_g', LINK_CREATE: 'H5P_CLS_LINK_CREATE_ID_g', ATTRIBUTE_CREATE: 'H5P_CLS_ATTRIBUTE_CREATE_ID_g',
} as const;

export type H5Functions = { readonly [K in keyof typeof SIGNATURES | keyof typeof VARIANTS | 'H5Lget_info']: Fn };
export type H5Globals = { readonly [K in keyof typeof GLOBALS]: Hid };

export interface H5Lib {
  readonly fn: H5Functions;
  readonly g: H5Globals;
  /** e.g. "1.10.8" */
  readonly version: string;
  readonly versionNumbers: readonly [number, number, number];
  /** what differs between HDF5 series, from the table in versions.ts */
  readonly traits: VersionTraits;
  /** the shared library file that was loaded */
  readonly file: string;
  /** the messages of the current error stack, outermost first (and clears it) */
  errorStack(): string[];
  /**
   * Marks the file's descriptor close-on-exec. HDF5 opens without O_CLOEXEC, so a child process
   * started while the file is open (a restarted device server, a script) would inherit the
   * descriptor and with it HDF5's lock, keeping the file locked after nxsw closes it.
   */
  closeOnExec(fid: Hid): void;
  /** a C string the library allocated, decoded and freed */
  takeString(ptr: unknown): string;
  decodePointers(buf: Uint8Array, n: number): Array<string | null>;
}

/** Candidate library names: $NXSW_HDF5_LIB alone when set, else the plain names, then versioned files found on disk. */
function candidates(): string[] {
  const chosen = process.env['NXSW_HDF5_LIB'];
  if (chosen) return [chosen];
  const out = ['libhdf5.so', 'libhdf5_serial.so'];
  for (const dir of LIB_DIRS) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const n of names.filter((x) => /^libhdf5(_serial)?\.so\.\d+/.test(x)).sort().reverse()) out.push(`${dir}/${n}`);
  }
  return out;
}

let loaded: H5Lib | undefined;
let failure: string | undefined;

/** The loaded library, or throws NxswError FILE_ERROR saying why there is none (the reason `nxsw plugins` shows). */
export function hdf5(): H5Lib {
  if (loaded) return loaded;
  if (failure) throw new NxswError('FILE_ERROR', failure);
  try {
    loaded = load();
    return loaded;
  } catch (e) {
    failure = (e as Error).message;
    throw new NxswError('FILE_ERROR', failure, { cause: e });
  }
}

/** null when the system HDF5 library loads, else the reason it does not */
export function unavailableReason(): string | null {
  try {
    hdf5();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

function load(): H5Lib {
  let koffi: any;
  try {
    koffi = createRequire(import.meta.url)('koffi');
  } catch (e) {
    throw new Error(`the FFI package koffi does not load on this platform: ${(e as Error).message}`, { cause: e });
  }
  const tried: string[] = [];
  let lib: any;
  let file = '';
  for (const c of candidates()) {
    try {
      lib = koffi.load(c);
      file = c;
      break;
    } catch (e) {
      tried.push(`${c} (${String((e as Error).message).split('\n')[0]})`);
    }
  }
  if (!lib) throw new Error(`no system HDF5 library found (install libhdf5-103-1 or newer, or set NXSW_HDF5_LIB); tried ${tried.slice(0, 4).join('; ')}`);
  // a library without H5get_libversion is not HDF5. The version picks the symbols and struct
  // layouts that differ between series; one the table does not know is refused, naming it
  // (older than 1.10 has a 32-bit hid_t; a newer series may have moved a struct member).
  const getVersion = lib.func('int H5get_libversion(_Out_ unsigned int *maj, _Out_ unsigned int *min, _Out_ unsigned int *rel)');
  const maj = [0], min = [0], rel = [0];
  getVersion(maj, min, rel);
  const v: [number, number, number] = [maj[0]!, min[0]!, rel[0]!];
  const traits = traitsFor(v, file);

  koffi.struct('H5E_error2_t', { cls_id: 'int64_t', maj_num: 'int64_t', min_num: 'int64_t', line: 'unsigned int', func_name: 'const char *', file_name: 'const char *', desc: 'const char *' });
  koffi.proto('int H5E_walk2_t(unsigned int n, const H5E_error2_t *err, void *data)');
  koffi.struct('H5G_info_t', { storage_type: 'int', nlinks: 'uint64_t', max_corder: 'int64_t', mounted: 'bool' });
  const fn: Record<string, Fn> = {};
  for (const [name, sig] of Object.entries({ ...SIGNATURES, ...VARIANTS })) {
    try {
      fn[name] = lib.func(sig);
    } catch (e) {
      throw new Error(`${file} lacks ${sig.split('(')[0]!.split(' ').pop()} (${(e as Error).message})`, { cause: e });
    }
  }
  // the link-info function of this series; common.ts reads its struct with traits.linkInfo
  const linkInfo = traits.linkInfo.symbol;
  try {
    fn['H5Lget_info'] = lib.func(`int ${linkInfo}(int64_t loc, const char *name, _Out_ uint8_t *info, int64_t lapl)`);
  } catch (e) {
    throw new Error(`${file} (HDF5 ${v.join('.')}) lacks ${linkInfo} (${(e as Error).message})`, { cause: e });
  }
  fn['H5open']!();
  // HDF5 would close itself (and the filter plugins it loaded) in an atexit handler, after Node
  // has torn down koffi's hold on the library: a crash at exit. Close it while all is mapped.
  process.once('exit', () => fn['H5close']!());
  // errors come back as return codes and are read with errorStack(); the library prints nothing
  fn['H5Eset_auto2']!(0, null, null);
  const g: Record<string, Hid> = {};
  for (const [k, sym] of Object.entries(GLOBALS)) g[k] = koffi.decode(lib.symbol(sym), 'int64_t');

  const errorStack = (): string[] => {
    const msgs: string[] = [];
    fn['H5Ewalk2']!(0, 0 /* H5E_WALK_UPWARD: innermost first */, (_n: number, ptr: unknown) => {
      // koffi hands a struct pointer to a callback as an address
      const err = koffi.decode(ptr, 'H5E_error2_t') as { desc: string | null; func_name: string | null };
      msgs.push(err.desc ?? err.func_name ?? '?');
      return 0;
    }, null);
    fn['H5Eclear2']!(0);
    return msgs.reverse();
  };
  const libc = koffi.load('libc.so.6');
  const fcntl = libc.func('int fcntl(int fd, int cmd, ...)');
  const closeOnExec = (fid: Hid): void => {
    const handle: unknown[] = [null];
    // the default (sec2) driver's handle is a pointer to its int descriptor
    if (fn['H5Fget_vfd_handle']!(fid, 0, handle) < 0 || !handle[0]) {
      errorStack();
      return;
    }
    const fd = koffi.decode(handle[0], 'int') as number;
    const F_GETFD = 1, F_SETFD = 2, FD_CLOEXEC = 1;
    const flags = fcntl(fd, F_GETFD) as number;
    if (flags >= 0) fcntl(fd, F_SETFD, 'int', flags | FD_CLOEXEC);
  };
  const takeString = (ptr: unknown): string => {
    if (!ptr) return '';
    const s = koffi.decode.string(ptr) as string;
    fn['H5free_memory']!(ptr);
    return s;
  };
  const decodePointers = (buf: Uint8Array, n: number): Array<string | null> => {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const out: Array<string | null> = [];
    for (let i = 0; i < n; i++) {
      const p = dv.getBigUint64(8 * i, true);
      out.push(p === 0n ? null : (koffi.decode.string(p) as string));
    }
    return out;
  };
  return { fn: fn as H5Functions, g: g as H5Globals, version: v.join('.'), versionNumbers: v, traits, file, errorStack, closeOnExec, takeString, decodePointers };
}
