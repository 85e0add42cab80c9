// Binding candidates for the native HDF5 sink, measured side by side (figures in docs/benchmarks.md):
// resize + write of one element into one open chunked dataset per call, through
//  - koffi (FFI, libhdf5 loaded at run time): five foreign calls per append,
//  - an N-API addon (addon.c, compiled here with gcc against libhdf5-dev): one call per append,
//  - the same loop inside C (the floor), and an empty call through each binding.
// Usage: node bench/sink-hdf5-native/bindings.mjs [N]   (needs gcc and libhdf5-dev for the addon)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import koffi from 'koffi';

const N = Number(process.argv[2] ?? 200_000);
const here = dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bind-'));
const addonPath = join(dir, 'addon.node');
const t0 = process.hrtime.bigint();
execFileSync('gcc', ['-O2', '-shared', '-fPIC', '-I/usr/include/node', '-I/usr/include/hdf5/serial', join(here, 'addon.c'),
  '-L/usr/lib/x86_64-linux-gnu/hdf5/serial', '-lhdf5', '-o', addonPath]);
const buildMs = Number(process.hrtime.bigint() - t0) / 1e6;
const addon = createRequire(import.meta.url)(addonPath);

const lib = koffi.load('libhdf5_serial.so.103');
const fn = (s) => lib.func(s);
const H5open = fn('int H5open()');
const H5Fcreate = fn('int64_t H5Fcreate(const char*, unsigned int, int64_t, int64_t)');
const H5Fclose = fn('int H5Fclose(int64_t)');
const H5Screate_simple = fn('int64_t H5Screate_simple(int, const uint64_t*, const uint64_t*)');
const H5Sclose = fn('int H5Sclose(int64_t)');
const H5Pcreate = fn('int64_t H5Pcreate(int64_t)');
const H5Pset_chunk = fn('int H5Pset_chunk(int64_t, int, const uint64_t*)');
const H5Pclose = fn('int H5Pclose(int64_t)');
const H5Dcreate2 = fn('int64_t H5Dcreate2(int64_t, const char*, int64_t, int64_t, int64_t, int64_t, int64_t)');
const H5Dset_extent = fn('int H5Dset_extent(int64_t, const uint64_t*)');
const H5Dget_space = fn('int64_t H5Dget_space(int64_t)');
const H5Sselect_hyperslab = fn('int H5Sselect_hyperslab(int64_t, int, const uint64_t*, const uint64_t*, const uint64_t*, const uint64_t*)');
const H5Dwrite = fn('int H5Dwrite(int64_t, int64_t, int64_t, int64_t, int64_t, const void*)');
const H5Dclose = fn('int H5Dclose(int64_t)');
const H5Iis_valid = fn('int H5Iis_valid(int64_t)');
H5open();
const g = (name) => koffi.decode(lib.symbol(name), 'int64_t');
const DOUBLE = g('H5T_NATIVE_DOUBLE_g');
const DCREATE = g('H5P_CLS_DATASET_CREATE_ID_g');

function koffiRun(path) {
  const f = H5Fcreate(path, 2 /* TRUNC */, 0, 0);
  const space = H5Screate_simple(1, new BigUint64Array([0n]), new BigUint64Array([~0n]));
  const dcpl = H5Pcreate(DCREATE);
  H5Pset_chunk(dcpl, 1, new BigUint64Array([1024n]));
  const d = H5Dcreate2(f, 'x', DOUBLE, space, 0, dcpl, 0);
  H5Pclose(dcpl); H5Sclose(space);
  const ms = H5Screate_simple(1, new BigUint64Array([1n]), null);
  const size = new BigUint64Array(1), start = new BigUint64Array(1), count = new BigUint64Array([1n]);
  const v = new Float64Array(1);
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    size[0] = BigInt(i + 1); start[0] = BigInt(i); v[0] = i;
    H5Dset_extent(d, size);
    const fs = H5Dget_space(d);
    H5Sselect_hyperslab(fs, 0, start, null, count, null);
    H5Dwrite(d, DOUBLE, ms, fs, 0, v);
    H5Sclose(fs);
  }
  const us = Number(process.hrtime.bigint() - t) / 1e3 / N;
  H5Sclose(ms); H5Dclose(d); H5Fclose(f);
  return us;
}

function time(f) {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e3 / N;
}

const results = {};
results['koffi: resize+write (5 calls)'] = koffiRun(join(dir, 'k.h5'));
addon.open(join(dir, 'a.h5'));
results['N-API addon: resize+write (1 call)'] = time(() => { for (let i = 0; i < N; i++) addon.append(i, i); });
results['C loop (floor)'] = time(() => addon.cLoop(N, N));
addon.close();
results['koffi: empty call (H5Iis_valid)'] = time(() => { for (let i = 0; i < N; i++) H5Iis_valid(0); });
results['N-API addon: empty call'] = time(() => { for (let i = 0; i < N; i++) addon.noop(); });
console.log(`N = ${N}; HDF5 from libhdf5_serial.so.103; addon compiled in ${buildMs.toFixed(0)} ms (gcc, headers from libhdf5-dev)`);
for (const [k, us] of Object.entries(results)) console.log(`${k.padEnd(40)} ${us.toFixed(2)} µs/call`);
rmSync(dir, { recursive: true, force: true });
