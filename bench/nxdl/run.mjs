// nxsw validate on files of many records, side by side with cnxvalidate (the NeXus committee's
// validator, C, built from its source) on the same files in the same run. The files are the
// examples' scans (NXxas: 4 scalars per step; NXmx: a 4x4 image, a spectrum and 3 scalars per
// step) written by `nxsw write` with RECORDS records (default 100 000).
// Three nxsw figures per reader: a fresh `nxsw validate` process (node, the kernel's plugin
// discovery, the reader's start, the check), the check as that process times it (from opening the
// file, so including h5wasm's compilation for the h5wasm reader), and the check warm in a running
// process (a server). Two readers, interleaved in the same run: the native sink's (the default
// where the system HDF5 library loads) and the h5wasm sink's (NXSW_CHOOSE=sink:HDF5=@nxsw/sink-hdf5);
// the last line per file gives native/h5wasm ratios.
// Usage: node bench/nxdl/run.mjs [records]        (after `npx tsc -b`)
//   CNXVALIDATE=/path/to/nxvalidate   the baseline; without it only nxsw's times are printed
//   REP=n                             repetitions per cell, the median is printed (default 3)
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Hdf5SinkFactory } from '../../plugins/sink-hdf5/dist/src/index.js';
import { NativeHdf5SinkFactory, unavailableReason } from '../../plugins/sink-hdf5-native/dist/src/index.js';
import { nxdlLibrary, validateFileAgainstNxdl } from '../../core/dist/src/nxdl/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(repo, 'core/dist/src/cli/main.js');
const N = Number(process.argv[2] ?? 100000);
const REP = Number(process.env.REP ?? 3);
const cnx = process.env.CNXVALIDATE;
const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-nxdl-'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(cmd, args, env = process.env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26, env });
  return { ms: performance.now() - t0, r };
}

function records(kind) {
  const lines = [];
  for (let i = 0; i < N; i++) {
    if (kind === 'nxxas') lines.push(JSON.stringify({ data: { energy: 8.95 + i * 1e-5, i0: 1e5, it: 3e4 + (i % 100), mon: 1000 } }));
    else {
      const image = [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => (i + r * 4 + c) % 7));
      lines.push(JSON.stringify({ data: { exp_c01: i, 'p09/mca/exp.02': Array.from({ length: 16 }, (_, k) => (i + k) % 100), image, omega: i * 0.1 } }));
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
const lib = nxdlLibrary();
const readers = [
  ...(unavailableReason() === null ? [{ name: 'native', plugin: '@nxsw/sink-hdf5-native', sink: new NativeHdf5SinkFactory(), env: { ...process.env, NXSW_CHOOSE: 'sink:HDF5=@nxsw/sink-hdf5-native' } }] : []),
  { name: 'h5wasm', plugin: '@nxsw/sink-hdf5', sink: new Hdf5SinkFactory(), env: { ...process.env, NXSW_CHOOSE: 'sink:HDF5=@nxsw/sink-hdf5' } },
];
if (readers.length < 2) console.log(`(no native reader: ${unavailableReason()})`);
async function warm(sink, file) {
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

console.log('file                    MB  reader  validate (process)  (its own timing)  warm in process  cnxvalidate (process)  process/cnx  warm/cnx  verdicts');
try {
  for (const c of cases) {
    const file = join(dir, `${c.kind}.nxs`);
    const w = spawnSync(process.execPath, [CLI, 'write', c.xml, '-o', file, '-g', c.global, '-r', records(c.kind), '--flush-interval', '1000', '--no-logs',
      ...(c.final ? ['-f', c.final] : [])], { cwd: repo, encoding: 'utf8' });
    if (w.status !== 0) throw new Error(`nxsw write failed: ${w.stderr}`);
    const mb = readFileSync(file).length / 1e6;
    let base;
    let cnxVerdict = '';
    if (cnx && existsSync(cnx)) {
      const times = [];
      let out = '';
      for (let i = 0; i < REP; i++) {
        const { ms, r } = timed(cnx, ['-l', join(repo, 'core/nxdl'), file]);
        times.push(ms);
        out = `${r.stdout}${r.stderr}`;
      }
      base = median(times);
      cnxVerdict = `, cnxvalidate ${/passed validation/.test(out) ? '0 errors' : (/(\d+) errors/.exec(out)?.[1] ?? '?') + ' errors'}`;
    }
    // the readers interleaved, so that a change of load on the machine hits both alike
    const proc = new Map(readers.map((x) => [x.name, []]));
    const inner = new Map(readers.map((x) => [x.name, []]));
    const verdicts = new Map();
    for (let i = 0; i < REP; i++) {
      for (const x of readers) {
        const { ms, r } = timed(process.execPath, [CLI, 'validate', file, '--json'], x.env);
        const j = JSON.parse(r.stdout);
        if (j.reader !== x.plugin) throw new Error(`nxsw validate read with ${j.reader}, not ${x.plugin}`);
        proc.get(x.name).push(ms);
        inner.get(x.name).push(j.seconds * 1000);
        verdicts.set(x.name, `nxsw ${j.errors} errors`);
      }
    }
    const hot = new Map();
    for (const x of readers) hot.set(x.name, await warm(x.sink, file));
    const ms = (x) => `${x.toFixed(0)} ms`;
    for (const x of readers) {
      const p = median(proc.get(x.name));
      const h = hot.get(x.name);
      const cnxCols = base === undefined ? ['', '', ''] : [ms(base), `${(p / base).toFixed(1)}x`, `${(h / base).toFixed(1)}x`];
      console.log(`${c.name.padEnd(22)} ${mb.toFixed(1).padStart(5)}  ${x.name.padEnd(6)}  ${ms(p).padStart(18)}  ${ms(median(inner.get(x.name))).padStart(16)}  ${ms(h).padStart(15)}  ${cnxCols[0].padStart(21)}  ${cnxCols[1].padStart(11)}  ${cnxCols[2].padStart(8)}  ${verdicts.get(x.name)}${cnxVerdict}`);
    }
    if (readers.length === 2) {
      const ratio = (m) => (m.get('native') / m.get('h5wasm')).toFixed(2);
      const med = (m) => new Map([...m].map(([k, v]) => [k, median(v)]));
      console.log(`${''.padEnd(22)} native/h5wasm: process ${ratio(med(proc))}x, its own timing ${ratio(med(inner))}x, warm ${ratio(hot)}x`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
