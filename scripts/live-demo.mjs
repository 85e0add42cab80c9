#!/usr/bin/env node
// `npm run live`: writes the example scan (examples/scan) slowly, point by point, with the live
// view on, so a browser can watch the status page and the NXdata plot grow; after the last point the
// closed file stays viewable until Ctrl-C. No Tango database.
//   npm run live -- [--http [HOST:]PORT] [--points N] [--interval MS]
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { http: { type: 'string', default: '8008' }, points: { type: 'string', default: '600' }, interval: { type: 'string', default: '200' } } });
const points = Number(values.points);
const interval = Number(values.interval);
const out = 'out/live.nxs';
mkdirSync('out', { recursive: true });
rmSync(out, { force: true });

const child = spawn(process.execPath, ['--no-node-snapshot', 'core/dist/src/cli/main.js', 'write', 'examples/scan/scan.xml', '--output', out,
  '--global', 'examples/scan/global.json', '--records', '-', '--final', 'examples/scan/final.json', '--http', values.http, '--keep-serving'], { stdio: ['pipe', 'inherit', 'inherit'] });
const template = JSON.parse(readFileSync('examples/scan/records.jsonl', 'utf8').split('\n')[0]);
let i = 0;
const timer = setInterval(() => {
  if (i >= points) {
    clearInterval(timer);
    child.stdin.end();
    return;
  }
  // a peak that moves and a counter that oscillates, so the plot visibly changes
  const centre = 4 + (i % 80) / 10;
  const mca = Array.from({ length: 16 }, (_, k) => Math.round(1000 * Math.exp(-((k - centre) ** 2) / 4)));
  const record = { data: { ...template.data, exp_c01: 100 + 50 * Math.sin(i / 10) + 5 * Math.random(), 'p09/mca/exp.02': mca } };
  child.stdin.write(`${JSON.stringify(record)}\n`);
  i++;
}, interval);
const stop = () => { i = points; };
process.once('SIGINT', stop);
child.on('exit', (code) => process.exit(code ?? 1));
