/**
 * The HDF5 release series the binding (lib.ts) was checked against, and what differs between
 * them. Everything else it binds has the same exported symbol, C signature and constant values in
 * all of them (checked against each series' headers and run against its library: README,
 * "HDF5 versions"). A struct read with a wrong layout is silent memory corruption, not an error,
 * so a series that is not in this table is refused at load rather than guessed.
 */

/** the layout of the link-info struct H5Lget_info fills (byte offsets; x86-64 and aarch64, LP64) */
export interface LinkInfoLayout {
  /** the exported function: 1.12 made `H5Lget_info` a macro for H5Lget_info2 (H5L_info2_t, an object token instead of an address) */
  readonly symbol: string;
  /** sizeof the struct (the buffer handed to the library has at least this) */
  readonly size: number;
  /** H5L_type_t type */
  readonly type: number;
  /** u.val_size, a soft or external link's value size (size_t) */
  readonly valSize: number;
}

export interface VersionTraits {
  /** e.g. "1.14" */
  readonly series: string;
  readonly linkInfo: LinkInfoLayout;
  /** H5F_LIBVER_LATEST: the newest format bound this series knows */
  readonly libverLatest: number;
}

/** H5F_libver_t: values only get appended (V112 in 1.12, V114 in 1.14) */
export const LIBVER = { v18: 1, v110: 2, v112: 3, v114: 4 } as const;

// H5L_info_t (1.10): type @0, corder_valid @4, corder @8, cset @16, union { haddr_t address; size_t val_size } @24; 32 bytes
const LINK_INFO_110: LinkInfoLayout = { symbol: 'H5Lget_info', size: 32, type: 0, valSize: 24 };
// H5L_info2_t (1.12+): the same but the union holds an H5O_token_t (16 bytes) instead of the address; 40 bytes
const LINK_INFO_112: LinkInfoLayout = { symbol: 'H5Lget_info2', size: 40, type: 0, valSize: 24 };

/** major.minor → traits; odd minors (1.11, 1.13) were development series with changing APIs */
export const VERSION_TABLE: ReadonlyMap<string, VersionTraits> = new Map([
  ['1.10', { series: '1.10', linkInfo: LINK_INFO_110, libverLatest: LIBVER.v110 }],
  ['1.12', { series: '1.12', linkInfo: LINK_INFO_112, libverLatest: LIBVER.v112 }],
  ['1.14', { series: '1.14', linkInfo: LINK_INFO_112, libverLatest: LIBVER.v114 }],
]);

/** The traits of HDF5 major.minor.release, or throws an Error naming the version and the series the sink knows. */
export function traitsFor(version: readonly [number, number, number], file = 'the HDF5 library'): VersionTraits {
  const traits = VERSION_TABLE.get(`${version[0]}.${version[1]}`);
  if (traits) return traits;
  const known = [...VERSION_TABLE.keys()].join(', ');
  const old = version[0] < 1 || (version[0] === 1 && version[1] < 10);
  throw new Error(
    `${file} is HDF5 ${version.join('.')}; the native sink ${old ? 'needs HDF5 1.10 or newer' : 'has not been checked against that series'} `
    + `(it binds HDF5 ${known}; its structs and symbols differ between series, see the sink's README, "HDF5 versions")`,
  );
}
