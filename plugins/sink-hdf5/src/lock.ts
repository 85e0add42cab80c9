/**
 * The output file's descriptor and HDF5's file lock on it.
 *
 * The HDF5 library (>= 1.10, sec2 driver) locks every file it opens with flock(2) on the file
 * itself: exclusive for a writer, shared for a reader (SWMR readers too), non-blocking; a writer
 * drops its lock once SWMR writing starts, after which the superblock's "open for writing" flags
 * keep other writers and non-SWMR readers off. h5wasm takes no lock, so the sink takes the same one
 * on a descriptor of its own: h5wasm's descriptor is opened, closed and reopened independently
 * (header patches reopen the file), and a flock belongs to the open file description, so closing
 * h5wasm's handle leaves this lock in place. The kernel drops it when the process ends, however it
 * ends: it cannot go stale.
 *
 * HDF5_USE_FILE_LOCKING is honoured as HDF5 1.10.8 reads it: FALSE or 0 takes no lock, TRUE or 1
 * requires one, BEST_EFFORT (and the default of Debian's build) takes one where the file system
 * supports it and goes on without where flock fails with ENOSYS.
 */
import { openSync, closeSync, fstatSync, readFileSync, constants as fsConstants, type BigIntStats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import koffi from 'koffi';
import { NxswError, fileError, fileKind } from '@nxsw/core';

export type LockPolicy = 'off' | 'best-effort' | 'strict';

/** The policy for a sink whose `fileLocking` option is `enabled`, given the environment. */
export function lockPolicy(enabled: boolean, env: NodeJS.ProcessEnv = process.env): LockPolicy {
  const v = env['HDF5_USE_FILE_LOCKING'];
  if (!enabled || v === 'FALSE' || v === '0') return 'off';
  if (v === 'TRUE' || v === '1') return 'strict';
  return 'best-effort';
}

const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;
const { EWOULDBLOCK, EINTR, ENOSYS } = osConstants.errno;
const { O_RDWR, O_CREAT, O_EXCL, O_NONBLOCK, O_NOCTTY } = fsConstants;

type Flock = (fd: number, operation: number) => number;
let flockFn: Flock | null | undefined;

/** libc's flock through koffi (prebuilt in the npm package), or null where there is none. */
function libcFlock(): Flock | null {
  if (flockFn !== undefined) return flockFn;
  flockFn = null;
  for (const lib of process.platform === 'darwin' ? ['libSystem.B.dylib'] : ['libc.so.6', 'libc.so']) {
    try {
      flockFn = koffi.load(lib).func('int flock(int fd, int operation)') as Flock;
      break;
    } catch { /* try the next name */ }
  }
  return flockFn;
}

/** flock(fd, op), retried on EINTR: 0 or the errno. */
function flock(fd: number, op: number): number {
  const fn = libcFlock();
  if (!fn) return ENOSYS;
  for (;;) {
    if (fn(fd, op) === 0) return 0;
    const err = koffi.errno();
    if (err !== EINTR) return err;
  }
}

/**
 * Who holds a lock on the file, from /proc/locks (Linux): "process 123 (python3) has it open for
 * writing". Empty where that table does not exist or does not list the holder.
 */
function lockHolders(st: BigIntStats): string[] {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'utf8');
  } catch {
    return [];
  }
  const major = Number(((st.dev >> 8n) & 0xfffn) | ((st.dev >> 32n) & ~0xfffn));
  const minor = Number((st.dev & 0xffn) | ((st.dev >> 12n) & ~0xffn));
  const out: string[] = [];
  // "1: FLOCK  ADVISORY  WRITE 13164 fe:00:2147170 0 EOF"; waiting requests ("1: -> FLOCK") do not match
  for (const m of table.matchAll(/^\d+: \w+\s+\w+\s+(READ|WRITE)\s+(\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s/gm)) {
    if (BigInt(m[5]!) !== st.ino || parseInt(m[3]!, 16) !== major || parseInt(m[4]!, 16) !== minor) continue;
    const pid = Number(m[2]);
    let name = '?';
    try {
      name = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch { /* gone meanwhile */ }
    const who = pid === process.pid ? `this process (${pid}, ${name})` : `process ${pid} (${name})`;
    out.push(`${who} has it open for ${m[1] === 'WRITE' ? 'writing' : 'reading'}`);
  }
  return [...new Set(out)];
}

/** Opens the output file for writing, creating it when missing (mode 'append') or required ('create'). */
function openOutput(file: string, mode: 'create' | 'append'): { fd: number; created: boolean } {
  for (let attempt = 0; ; attempt++) {
    if (mode === 'append') {
      try {
        // O_NONBLOCK: a FIFO put in place since the path was checked must not hang the open
        return { fd: openSync(file, O_RDWR | O_NONBLOCK | O_NOCTTY), created: false };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError(file, 'cannot open it for writing', e);
      }
    }
    try {
      return { fd: openSync(file, O_RDWR | O_CREAT | O_EXCL | O_NOCTTY, 0o666), created: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && mode === 'create') throw new NxswError('FILE_ERROR', `${file}: the file exists (mode 'create' never overwrites it; use mode 'append' to add to it)`);
      // EEXIST in mode 'append': another process created it meanwhile, open that one
      if (code !== 'EEXIST' || attempt > 0) throw fileError(file, 'cannot create it', e);
    }
  }
}

/**
 * Files this process writes, by device and inode: after SWMR writing starts the flock is gone, and
 * a second open in this process would share the HDF5 library's open file instead of being refused.
 */
const writing = new Set<string>();

/** The sink's own descriptor of the output file, holding HDF5's lock until SWMR writing starts or the file is closed. */
export class FileLock {
  private fd: number | undefined;
  private locked: boolean;

  private constructor(readonly file: string, fd: number, private readonly key: string, readonly created: boolean, locked: boolean) {
    this.fd = fd;
    this.locked = locked;
    writing.add(key);
  }

  /**
   * Opens `file` for writing (FILE_ERROR naming the cause when it cannot be), checks that it is a
   * regular file and takes HDF5's exclusive lock on it: FILE_LOCKED naming the holder when another
   * program (or another open of this process) has the file open through HDF5.
   */
  static open(file: string, mode: 'create' | 'append', policy: LockPolicy): FileLock {
    const { fd, created } = openOutput(file, mode);
    try {
      const st = fstatSync(fd, { bigint: true });
      if (!st.isFile()) throw new NxswError('FILE_ERROR', `${file}: cannot write to it: it is ${fileKind(st)}, and an output file must be a regular file`);
      const key = `${st.dev}:${st.ino}`;
      if (writing.has(key)) throw new NxswError('FILE_LOCKED', `${file} is locked: this process (${process.pid}) has it open for writing`);
      if (policy === 'off') return new FileLock(file, fd, key, created, false);
      const err = flock(fd, LOCK_EX | LOCK_NB);
      if (err === 0) return new FileLock(file, fd, key, created, true);
      if (err === EWOULDBLOCK) {
        const holders = lockHolders(st);
        throw new NxswError('FILE_LOCKED', `${file} is locked: ${holders.length ? holders.join('; ') : 'another process has it open'}; HDF5 programs lock the files they open, and nxsw does not write a file that another program has open`);
      }
      if (err === ENOSYS && policy === 'best-effort') return new FileLock(file, fd, key, created, false);
      const cause = err === ENOSYS ? 'the file system does not support file locks (set HDF5_USE_FILE_LOCKING=BEST_EFFORT or FALSE to write without a lock)' : `flock failed with errno ${err}`;
      throw new NxswError('FILE_ERROR', `${file}: cannot lock it: ${cause}`);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
  }

  /** Drops the flock, as HDF5 does when SWMR writing starts; the file stays taken within this process. */
  unlock(): void {
    if (!this.locked || this.fd === undefined) return;
    this.locked = false;
    flock(this.fd, LOCK_UN);
  }

  /** Closes the descriptor (which drops the lock). */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    writing.delete(this.key);
  }
}
