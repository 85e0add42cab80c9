/**
 * Output files: which paths a sink may open for writing, and the operating system's reason for a
 * failed file operation in words. The engine checks the path at OpenFile for every sink; sinks use
 * the same words for the errors their library reports.
 */
import { statSync, type Stats, type BigIntStats } from 'node:fs';
import { dirname } from 'node:path';
import { NxswError } from './errors.js';

/** What a non-regular file is, in words. */
export function fileKind(st: Stats | BigIntStats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Throws FILE_ERROR unless `file` can be an output file: a regular file (symbolic links are
 * followed), or nothing yet in an existing directory. `/dev/null`, directories, FIFOs, sockets and
 * devices are refused: HDF5 would fail on them later (or, for /dev/null, report a scan written
 * into nothing as a success).
 */
export function checkOutputPath(file: string): void {
  let st: Stats | undefined;
  try {
    st = statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw fileError(file, 'cannot open', e);
  }
  if (st) {
    if (!st.isFile()) throw new NxswError('FILE_ERROR', `${file}: cannot write to it: it is ${fileKind(st)}, and an output file must be a regular file`);
    return;
  }
  const dir = dirname(file);
  try {
    statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NxswError('FILE_ERROR', `${file}: cannot create it: the directory ${dir} does not exist`);
    throw fileError(file, 'cannot create it', e);
  }
}

/** errno names and the C library's texts for them (HDF5 quotes the text: "error message = '...'") */
const OS_CAUSES: ReadonlyArray<readonly [code: string, text: string, words: string]> = [
  ['ENOSPC', 'No space left on device', 'the disk is full'],
  ['EDQUOT', 'Disk quota exceeded', 'the disk quota is exceeded'],
  ['EACCES', 'Permission denied', 'permission denied'],
  ['EPERM', 'Operation not permitted', 'the operation is not permitted'],
  ['EROFS', 'Read-only file system', 'the file system is read-only'],
  ['EFBIG', 'File too large', 'the file is larger than the file system allows'],
  ['EIO', 'Input/output error', 'an input/output error (a failing disk or lost network storage)'],
  ['EISDIR', 'Is a directory', 'it is a directory'],
  ['ENOTDIR', 'Not a directory', 'a part of the path is not a directory'],
  ['ENXIO', 'No such device or address', 'it is a socket or a device without a driver'],
];

/**
 * The operating system's reason behind an error, in words with its errno name ("the disk is full
 * (ENOSPC)"), from a Node error's code or from the errno text an HDF5 error stack quotes;
 * undefined when there is none.
 */
export function osCause(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const text = e instanceof Error ? e.message : String(e);
  const quoted = /error message = '([^']*)'/.exec(text)?.[1];
  const found = OS_CAUSES.find(([c, t]) => c === code || t === quoted) ?? OS_CAUSES.find(([, t]) => text.includes(t));
  return found ? `${found[2]} (${found[0]})` : undefined;
}

/** FILE_ERROR "<file>: <doing>: <cause>", the cause in words where the OS gave one. */
export function fileError(file: string, doing: string, e: unknown): NxswError {
  const why = osCause(e) ?? (e instanceof Error ? e.message : String(e));
  return new NxswError('FILE_ERROR', `${file}: ${doing}: ${why}`, { cause: e });
}
