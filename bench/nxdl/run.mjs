// nxsw validate on files of many records, side by side with cnxvalidate (the NeXus committee's
// validator, C, built from its source) on the same files in the same run. The files are the
// examples' scans (NXxas: 4 scalars per step; NXmx: a 4x4 image, a spectrum and 3 scalars per
// step) written by `nxsw write` with RECORDS records (default 100 000).
// Three nxsw figures: a fresh `nxsw validate` process (node, the kernel's plugin discovery,
// compiling h5wasm, the check), the check as that process times it (from opening the file, so
// including h5wasm's compilation), and the check warm in a running process (a server).
// Usage: node bench/nxdl/run.mjs [records]        (after `npx tsc -b`)
//   CNXVALIDATE=/path/to/nxvalidate   the baseline; without it only nxsw's times are printed
//   REP=n                             repetitions per cell, the median is printed (default 3)
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hdf5SinkFactory } from '../../plugins/sink-hdf5/dist/src/index.js';
import { nxdlLibrary, validateFileAgainstNxdl } from '../../core/dist/src/nxdl/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(repo, 'core/dist/src/cli/main.js');
const N = Number(process.argv[2] ?? 100000);
const REP = Number(process.env.REP ?? 3);
const cnx = process.env.CNXVALIDATE;
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-nxdl-'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { ms: performance.now() - t0, r };
}

function records(kind) {
  const lines = [];
  for (let i = 0; i < N; i++) {
    if (kind === 'nxxas') lines.push(JSON.stringify({ data: { energy: 8.95 + i * 1e-5, i0: 1e5, it: 3e4 + (i % 100), mon: 1000 } }));
    else {
      const image = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (i + r * 4 + c) % 7));
      lines.push(JSON.stringify({ data: { exp_c01: i, 'p09/mca/exp.02': Array.from({ length: 16 }, (_, k) => (i + k) % 100), image } }));
    }
  }
  const p = join(dir, `${kind}.jsonl`);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const cases = [
  { name: 'NXxas energy scan', xml: 'examples/nxxas/nxxas.xml', global: 'examples/nxxas/global.json', kind: 'nxxas' },
  { name: 'NXmx example scan', xml: 'examples/nxmx/nxmx.xml', global: 'examples/scan/global.json', final: 'examples/scan/final.json', kind: 'nxmx' },
];

console.log(`nxsw validate vs cnxvalidate, ${N} records per file, median of ${REP}${cnx ? '' : ' (set CNXVALIDATE=/path/to/nxvalidate for the baseline)'}`);
const sink = new Hdf5SinkFactory();
const lib = nxdlLibrary();
async function warm(file) {
  const times = [];
  for (let i = 0; i < REP + 1; i++) {
    const t0 = performance.now();
    const reader = await sink.openReader(file);
    validateFileAgainstNxdl(reader, lib);
    reader.close();
    if (i > 0) times.push(performance.now() - t0); // the first run loads h5wasm and the definitions
  }
  return median(times);
}

console.log('file                    MB   validate (process)  (its own timing)  warm in process  cnxvalidate (process)  process/cnx  warm/cnx  verdicts');
try {
  for (const c of cases) {
    const file = join(dir, `${c.kind}.nxs`);
    const w = spawnSync(process.execPath, [CLI, 'write', c.xml, '-o', file, '-g', c.global, '-r', records(c.kind), '--flush-interval', '1000', '--no-logs',
      ...(c.final ? ['-f', c.final] : [])], { cwd: repo, encoding: 'utf8' });
    if (w.status !== 0) throw new Error(`nxsw write failed: ${w.stderr}`);
    const mb = readFileSync(file).length / 1e6;
    const proc = [];
    const inner = [];
    let verdict = '';
    for (let i = 0; i < REP; i++) {
      const { ms, r } = timed(process.execPath, [CLI, 'validate', file, '--json']);
      const j = JSON.parse(r.stdout);
      proc.push(ms);
      inner.push(j.seconds * 1000);
      verdict = `nxsw ${j.errors} errors`;
    }
    const hot = await warm(file);
    let base = '';
    let ratio = '';
    let hotRatio = '';
    if (cnx && existsSync(cnx)) {
      const times = [];
      let out = '';
      for (let i = 0; i < REP; i++) {
        const { ms, r } = timed(cnx, ['-l', join(repo, 'core/nxdl'), file]);
        times.push(ms);
        out = `${r.stdout}${r.stderr}`;
      }
      base = `${median(times).toFixed(0)} ms`;
      ratio = `${(median(proc) / median(times)).toFixed(1)}x`;
      hotRatio = `${(hot / median(times)).toFixed(1)}x`;
      verdict += `, cnxvalidate ${/passed validation/.test(out) ? '0 errors' : (/(\d+) errors/.exec(out)?.[1] ?? '?') + ' errors'}`;
    }
    const ms = (x) => `${x.toFixed(0)} ms`;
    console.log(`${c.name.padEnd(22)} ${mb.toFixed(1).padStart(5)}   ${ms(median(proc)).padStart(17)}  ${ms(median(inner)).padStart(16)}  ${ms(hot).padStart(15)}  ${base.padStart(21)}  ${ratio.padStart(11)}  ${hotRatio.padStart(8)}  ${verdict}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
