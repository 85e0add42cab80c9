/**
 * `<file>.lock`: keeps a second writer off an open output file. h5wasm does no file locking
 * (unlike C HDF5's flock), so the sink does it: the lock is created exclusively and holds the
 * writer's pid; a lock left by a dead process is taken over.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { NxswError } from '@nxsw/core';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FileLock {
  private released = false;
  private constructor(readonly lockPath: string) {}

  static acquire(file: string): FileLock {
    const lockPath = `${file}.lock`;
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(lockPath, 'wx');
        try {
          writeSync(fd, `${process.pid}\n`);
        } finally {
          closeSync(fd);
        }
        return new FileLock(lockPath);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          throw new NxswError('FILE_ERROR', `${file}: cannot create the lock file ${lockPath}: ${(e as Error).message}`, { cause: e });
        }
      }
      let text = '';
      try {
        text = readFileSync(lockPath, 'utf8').trim();
      } catch {
        continue; // removed meanwhile: try again
      }
      const pid = /^\d+$/.test(text) ? Number(text) : NaN;
      // an empty lock may be one being written right now; only a parsable dead pid is stale
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) {
        try { unlinkSync(lockPath); } catch { /* another writer took it over first */ }
        continue;
      }
      throw new NxswError('FILE_LOCKED', `${file} is open for writing by process ${Number.isNaN(pid) ? `unknown (lock file ${lockPath} holds '${text.slice(0, 40)}')` : pid} (lock file ${lockPath})`);
    }
    throw new NxswError('FILE_LOCKED', `${file}: could not take the lock file ${lockPath} (it keeps changing)`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    try {
      if (readFileSync(this.lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(this.lockPath);
    } catch { /* already gone */ }
  }
}
