// Output paths and the OS causes of file errors, shared by the engine and every sink.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOutputPath, osCause, fileError, NxswError } from '../src/index.js';

test('osCause: errno codes of Node errors and the errno texts HDF5 quotes, in words', () => {
  const nodeErr = Object.assign(new Error('EACCES: permission denied, open /x'), { code: 'EACCES' });
  assert.equal(osCause(nodeErr), 'permission denied (EACCES)');
  // the system HDF5 (sec2 driver) and h5wasm (its own errno numbers) quote the C library's text
  const hdf5 = new Error("H5FD_sec2_write(): file write failed: time = ..., filename = '/d/f.nxs', file descriptor = 3, errno = 28, error message = 'No space left on device', buf = 0x1");
  assert.equal(osCause(hdf5), 'the disk is full (ENOSPC)');
  assert.equal(osCause(new Error("errno = 30, error message = 'Read-only file system'")), 'the file system is read-only (EROFS)');
  assert.equal(osCause(new Error('unable to truncate a file which is already open')), undefined);
  const e = fileError('/d/f.nxs', 'cannot create it', Object.assign(new Error('x'), { code: 'EDQUOT' }));
  assert.ok(e instanceof NxswError);
  assert.equal(e.message, '/d/f.nxs: cannot create it: the disk quota is exceeded (EDQUOT)');
});

test('checkOutputPath: regular files and new names in existing directories pass; special files and missing directories do not', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-outpath-'));
  try {
    const file = join(dir, 'a.nxs');
    checkOutputPath(file); // not there yet
    writeFileSync(file, '');
    checkOutputPath(file);
    symlinkSync(file, join(dir, 'link.nxs'));
    checkOutputPath(join(dir, 'link.nxs')); // a link to a regular file is followed
    symlinkSync('/dev/null', join(dir, 'null.nxs'));
    const refused = (path: string, re: RegExp) => assert.throws(() => checkOutputPath(path), (err: unknown) => err instanceof NxswError && err.code === 'FILE_ERROR' && re.test(err.message));
    refused('/dev/null', /^\/dev\/null: cannot write to it: it is a character device, and an output file must be a regular file$/);
    refused(join(dir, 'null.nxs'), /null\.nxs: cannot write to it: it is a character device/);
    refused(dir, /it is a directory/);
    refused(join(dir, 'missing', 'b.nxs'), /missing\/b\.nxs: cannot create it: the directory .*\/missing does not exist/);
    refused(join(file, 'b.nxs'), /a\.nxs\/b\.nxs: cannot open: a part of the path is not a directory \(ENOTDIR\)$/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});
