#!/usr/bin/env node
// Runs every compiled test file (<workspace>/dist/test/**/*.test.js) with node:test.
// Node 20's --test takes no globs, so the files are listed here. Extra args filter by substring.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const WASM_CHOICE = 'sink:HDF5=@nxsw/sink-hdf5';
const pkg = JSON.parse((await import('node:fs')).readFileSync(join(root, 'package.json'), 'utf8'));
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js')) files.push(p);
  }
};
for (const ws of pkg.workspaces) {
  const d = join(root, ws, 'dist', 'test');
  if (existsSync(d)) walk(d);
}
const filters = process.argv.slice(2);
const selected = files.filter((f) => filters.length === 0 || filters.some((s) => f.includes(s))).sort();
if (selected.length === 0) {
  console.error('no test files found (did the build run?)');
  process.exit(1);
}
// node --test runs the files in parallel. Tests that change the shared TangoTest device
// (sys/tg_test/1: attribute values, properties, aliases) serialise themselves with
// changesTangoTest from @nxsw/tango-wire/testkit, a lock every process sees: it also covers other
// worktrees' runs against the same Tango stack and files run directly with node --test, which an
// ordering here could not.
console.log(`running ${selected.length} test files:\n  ${selected.map((f) => relative(root, f)).join('\n  ')}`);
const r = spawnSync(process.execPath, ['--no-node-snapshot', '--test', '--test-reporter=spec', ...selected], { stdio: 'inherit', cwd: root });
// The end-to-end suite runs once per HDF5 sink: above with the default (the native sink where the
// system library loads), here again with the h5wasm sink chosen.
const e2e = selected.filter((f) => f.startsWith(join(root, 'e2e', 'dist')));
let again = 0;
if (e2e.length && !process.env.NXSW_CHOOSE) {
  console.log(`\nthe end-to-end suite again with the h5wasm sink (NXSW_CHOOSE=${WASM_CHOICE}):`);
  const r2 = spawnSync(process.execPath, ['--no-node-snapshot', '--test', '--test-reporter=spec', ...e2e], { stdio: 'inherit', cwd: root, env: { ...process.env, NXSW_CHOOSE: WASM_CHOICE } });
  again = r2.status ?? 1;
}
process.exit(r.status || again);
