#!/usr/bin/env node
// Runs every compiled test file (<workspace>/dist/test/**/*.test.js) with node:test.
// Node 20's --test takes no globs, so the files are listed here. Extra args filter by substring.
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
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
console.log(`running ${selected.length} test files:\n  ${selected.map((f) => relative(root, f)).join('\n  ')}`);
const r = spawnSync(process.execPath, ['--no-node-snapshot', '--test', '--test-reporter=spec', ...selected], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
