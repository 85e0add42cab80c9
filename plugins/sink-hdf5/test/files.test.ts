// HDF5's file lock in both directions with h5py, SWMR's lock rules, HDF5_USE_FILE_LOCKING, special
// files refused, and write errors that name their cause (permission, read-only, disk full).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { NxswError } from '@nxsw/core';
import { SYSTEM_PYTHON, serviceSkip } from '@nxsw/core/testkit';
import { readWithH5py, h5get, noReaders, tempFile, create, f64 } from './helpers.js';
import { Hdf5SinkFactory } from '../src/index.js';
import { lockPolicy } from '../src/lock.js';

const skip = noReaders;
const isCode = (code: string, re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === code && re.test(e.message);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** h5py's answer to opening `file` in `mode` ('r', 'a', 'r-swmr'): 'ok' or its error message */
function h5pyOpen(file: string, mode: string, env: NodeJS.ProcessEnv = process.env): string {
  const script = [
    'import h5py, sys',
    'try:',
    "    f = h5py.File(sys.argv[1], 'r', swmr=True) if sys.argv[2] == 'r-swmr' else h5py.File(sys.argv[1], sys.argv[2])",
    "    f.close(); print('ok')",
    'except Exception as e:',
    '    print(e)',
  ].join('\n');
  return spawnSync(SYSTEM_PYTHON, ['-c', script, file, mode], { encoding: 'utf8', env }).stdout.trim();
}

/** an h5py process holding `file` open in `mode` until its stdin closes */
async function h5pyHolding(file: string, mode: 'w' | 'a' | 'r'): Promise<ChildProcess> {
  const script = "import h5py, sys\nf = h5py.File(sys.argv[1], sys.argv[2])\nprint('open', flush=True)\nsys.stdin.read()\nf.close()";
  const child = spawn(SYSTEM_PYTHON, ['-c', script, file, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.stdout!.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`h5py exited with ${code} before opening ${file}`)));
  });
  return child;
}

async function release(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.stdin!.end();
  await done;
}

const LOCK_ERROR = /unable to lock file, errno = 11/;

test('while nxsw writes a file, h5py cannot open it (HDF5 lock error), nor can a second nxsw writer; after close both can', { skip }, async () => {
  const file = tempFile();
  const f = await create(file);
  f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([2], [1, 2]));
  f.flush();
  assert.match(h5pyOpen(file, 'a'), LOCK_ERROR);
  assert.match(h5pyOpen(file, 'r'), LOCK_ERROR, 'a plain reader is kept off too, as by any HDF5 writer');
  assert.match(h5pyOpen(file, 'r-swmr'), LOCK_ERROR, 'SWMR readers wait for SWMR writing to start');
  assert.equal(existsSync(`${file}.lock`), false, 'no lock file beside the output');
  await assert.rejects(new Hdf5SinkFactory().open(file, { mode: 'append' }), isCode('FILE_LOCKED', new RegExp(`^${esc(file)} is locked: this process \\(${process.pid}\\) has it open for writing`)));
  // a live viewer that turns HDF5's locking off reads the flushed rows
  assert.deepEqual(h5get(readWithH5py(file, { unlocked: true }), 'x').value, [1, 2]);
  f.close();
  assert.equal(h5pyOpen(file, 'a'), 'ok');
  const g = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  g.close();
});

test('while h5py holds a file for writing or reading, nxsw refuses to write it, naming the file and the process', { skip }, async () => {
  const file = tempFile();
  (await create(file)).close();
  for (const mode of ['a', 'r'] as const) {
    const holder = await h5pyHolding(file, mode);
    try {
      const how = mode === 'a' ? 'writing' : 'reading';
      await assert.rejects(new Hdf5SinkFactory().open(file, { mode: 'append' }), isCode('FILE_LOCKED', new RegExp(`^${esc(file)} is locked: process ${holder.pid} \\(python3\\) has it open for ${how}`)));
    } finally {
      await release(holder);
    }
  }
  // a new file that h5py is creating right now
  const fresh = join(dirname(file), 'h5py-new.nxs');
  const creator = await h5pyHolding(fresh, 'w');
  try {
    await assert.rejects(new Hdf5SinkFactory().open(fresh, { mode: 'append' }), isCode('FILE_LOCKED', /has it open for writing/));
  } finally {
    await release(creator);
  }
  const f = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  f.root.createField('y', { type: 'float64', shape: [0], recordAxis: 0 }).append(f64([1], [7]));
  f.close();
  assert.deepEqual(h5get(readWithH5py(file), 'y').value, [7]);
});

test('SWMR follows HDF5: locked until SWMR writing starts, then SWMR readers open it; writers are kept off (h5py by the superblock, nxsw in this process too)', { skip }, async () => {
  const file = tempFile();
  const f = await new Hdf5SinkFactory().open(file, { mode: 'create', swmr: true });
  const x = f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 });
  x.append(f64([1], [1]));
  f.flush();
  assert.match(h5pyOpen(file, 'r-swmr'), LOCK_ERROR);
  f.startSwmr!();
  x.append(f64([1], [2]));
  f.flush();
  assert.equal(h5pyOpen(file, 'r-swmr'), 'ok');
  assert.deepEqual(h5get(readWithH5py(file, { swmr: true }), 'x').value, [1, 2]);
  assert.match(h5pyOpen(file, 'a'), /file is already open for write/);
  await assert.rejects(new Hdf5SinkFactory().open(file, { mode: 'append' }), isCode('FILE_LOCKED', new RegExp(`^${esc(file)} is locked: this process \\(${process.pid}\\) has it open for writing`)));
  f.close();
  assert.equal(h5pyOpen(file, 'a'), 'ok');
});

test('HDF5_USE_FILE_LOCKING=FALSE (or the fileLocking option) takes no lock, as the HDF5 library does', { skip }, async () => {
  assert.equal(lockPolicy(true, {}), 'best-effort');
  assert.equal(lockPolicy(true, { HDF5_USE_FILE_LOCKING: 'BEST_EFFORT' }), 'best-effort');
  assert.equal(lockPolicy(true, { HDF5_USE_FILE_LOCKING: 'TRUE' }), 'strict');
  assert.equal(lockPolicy(true, { HDF5_USE_FILE_LOCKING: '1' }), 'strict');
  assert.equal(lockPolicy(true, { HDF5_USE_FILE_LOCKING: '0' }), 'off');
  assert.equal(lockPolicy(false, { HDF5_USE_FILE_LOCKING: 'TRUE' }), 'off');
  const file = tempFile();
  const saved = process.env['HDF5_USE_FILE_LOCKING'];
  process.env['HDF5_USE_FILE_LOCKING'] = 'FALSE';
  try {
    const f = await create(file);
    f.flush();
    assert.equal(h5pyOpen(file, 'r'), 'ok', 'h5py (locking on) opens what an unlocked writer writes');
    f.close();
  } finally {
    if (saved === undefined) delete process.env['HDF5_USE_FILE_LOCKING'];
    else process.env['HDF5_USE_FILE_LOCKING'] = saved;
  }
  const g = await new Hdf5SinkFactory({ fileLocking: false }).open(file, { mode: 'append' });
  g.flush();
  assert.equal(h5pyOpen(file, 'r'), 'ok');
  g.close();
});

test('a writer killed with kill -9 leaves no lock: the next writer works at once', { skip }, async () => {
  const file = tempFile();
  const sink = new URL('../src/index.js', import.meta.url).href;
  const script = `const { Hdf5SinkFactory } = await import(${JSON.stringify(sink)});
    const f = await new Hdf5SinkFactory().open(${JSON.stringify(file)}, { mode: 'create' });
    f.root.createField('x', { type: 'float64', shape: [0], recordAxis: 0 }).append({ type: 'float64', shape: [1], data: Float64Array.of(5) });
    f.flush();
    console.log('written');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((r) => child.stdout.once('data', r));
  assert.match(h5pyOpen(file, 'a'), LOCK_ERROR, 'the child holds the lock');
  await assert.rejects(new Hdf5SinkFactory().open(file, { mode: 'append' }), isCode('FILE_LOCKED', new RegExp(`is locked: process ${child.pid} \\(\\S+\\) has it open for writing`)));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.deepEqual(h5get(readWithH5py(file), 'x').value, [5]);
  const f = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  f.close();
});

test('special files are refused as output: /dev/null, a directory, a FIFO, a socket', async () => {
  const dir = dirname(tempFile());
  const fifo = join(dir, 'pipe.nxs');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const sockPath = join(dir, 'sock.nxs');
  const server = createServer().listen(sockPath);
  await new Promise((r) => server.once('listening', r));
  const folder = join(dir, 'folder.nxs');
  mkdirSync(folder);
  try {
    const cases: Array<[string, RegExp]> = [['/dev/null', /a character device/], [folder, /a directory/], [fifo, /a FIFO \(named pipe\)/], [sockPath, /a socket/]];
    for (const [path, kind] of cases) {
      for (const mode of ['append', 'create'] as const) {
        await assert.rejects(new Hdf5SinkFactory().open(path, { mode }), isCode('FILE_ERROR', new RegExp(`^${esc(path)}: cannot write to it: it is ${kind.source}, and an output file must be a regular file`)));
      }
    }
  } finally {
    server.close();
  }
});

test('permission: a directory or file the writer may not write gives "permission denied (EACCES)"', { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-perm-'));
  const existing = join(dir, 'existing.nxs');
  (await create(existing)).close();
  chmodSync(existing, 0o444);
  chmodSync(dir, 0o555);
  const sink = new URL('../src/index.js', import.meta.url).href;
  const script = `const { Hdf5SinkFactory } = await import(${JSON.stringify(sink)});
    for (const [file, mode] of [[${JSON.stringify(join(dir, 'new.nxs'))}, 'create'], [${JSON.stringify(existing)}, 'append']]) {
      try { await new Hdf5SinkFactory().open(file, { mode }); console.log('opened'); } catch (e) { console.log(e.code + ' ' + e.message); }
    }`;
  const node = [process.execPath, '--input-type=module', '-e', script];
  // root writes anywhere: its writer runs without the capabilities that override permissions
  const noOverride = ['--bounding-set=-dac_override,-dac_read_search', '--inh-caps=-dac_override,-dac_read_search', '--'];
  const r = process.getuid?.() === 0 ? spawnSync('setpriv', [...noOverride, ...node], { encoding: 'utf8' }) : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8' });
  chmodSync(dir, 0o755);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stderr);
  assert.equal(lines[0], `FILE_ERROR ${join(dir, 'new.nxs')}: cannot create it: permission denied (EACCES)`);
  assert.equal(lines[1], `FILE_ERROR ${existing}: cannot open it for writing: permission denied (EACCES)`);
  rmSync(dir, { recursive: true });
});

/** a fresh tmpfs of `size` mounted for the test (root only), or a skip reason */
function mountTmpfs(size: string, readOnly = false): { dir: string; unmount: () => void } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    rmSync(dir, { recursive: true });
    return undefined;
  }
  return { dir, unmount: () => { spawnSync('umount', [dir]); rmSync(dir, { recursive: true, force: true }); } };
}
const probe = mountTmpfs('64k');
probe?.unmount();
const noMount = serviceSkip('mounting a tmpfs', probe !== undefined, 'run the tests as root: they mount small tmpfs file systems');

test('a read-only file system gives "the file system is read-only (EROFS)"', { skip: skip || noMount }, async () => {
  const ro = mountTmpfs('64k', true)!;
  try {
    await assert.rejects(create(join(ro.dir, 'x.nxs')), isCode('FILE_ERROR', new RegExp(`^${esc(ro.dir)}/x\\.nxs: cannot create it: the file system is read-only \\(EROFS\\)$`)));
  } finally {
    ro.unmount();
  }
});

test('a full disk gives "the disk is full (ENOSPC)", the rows flushed before stay readable, and no lock is left behind', { skip: skip || noMount }, async () => {
  const fs = mountTmpfs('256k')!;
  try {
    const file = join(fs.dir, 'full.nxs');
    const f = await create(file);
    const x = f.root.createField('x', { type: 'float64', shape: [0, 64], recordAxis: 0 });
    let flushed = 0;
    await assert.rejects((async () => {
      for (let i = 0; i < 10000; i++) {
        x.append({ type: 'float64', shape: [1, 64], data: new Float64Array(64).fill(i) });
        f.flush();
        flushed = i + 1;
      }
    })(), isCode('FILE_ERROR', new RegExp(`^${esc(file)}: cannot \\w+ /x: the disk is full \\(ENOSPC\\)$`)));
    assert.ok(flushed > 10, `${flushed} records fitted before the disk was full`);
    try { f.close(); } catch { /* the close may also find the disk full */ }
    assert.equal(existsSync(`${file}.lock`), false);
    const rows = h5get(readWithH5py(file), 'x').value as number[][];
    assert.ok(rows.length >= Math.min(flushed, 1), `h5py reads the file after the disk filled (${rows.length} rows)`);
    for (let i = 0; i < Math.min(rows.length, flushed); i++) assert.equal(rows[i]![0], i);
    // space again: the next writer is not refused by anything the failed one left
    writeFileSync(file, '');
    rmSync(file);
    const g = await create(file);
    g.close();
  } finally {
    fs.unmount();
  }
});
