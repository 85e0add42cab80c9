#!/usr/bin/env node
// `npm run example`: writes examples/scan (CLIENT, EVAL and SQLite sources) to out/example.nxs
// with `nxsw write`, then shows the file's tree as h5py reads it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, existsSync } from 'node:fs';

const out = 'out/example.nxs';
mkdirSync('out', { recursive: true });
rmSync(out, { force: true });
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit' }).status ?? 1;
const status = run(process.execPath, ['--no-node-snapshot', 'core/dist/src/cli/main.js', 'write', 'examples/scan/scan.xml', '--output', out,
  '--global', 'examples/scan/global.json', '--records', 'examples/scan/records.jsonl', '--final', 'examples/scan/final.json']);
if (status !== 0) process.exit(status);
if (existsSync('/usr/bin/python3') && spawnSync('/usr/bin/python3', ['-c', 'import h5py'], { stdio: 'ignore' }).status === 0) {
  process.exit(run('/usr/bin/python3', ['scripts/show-tree.py', out]));
}
console.log(`(install python3-h5py to see the tree: ./scripts/setup.sh does)`);
