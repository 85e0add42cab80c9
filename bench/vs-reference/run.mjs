#!/usr/bin/env node
// nxsw against the reference NXSDataWriter (DESY, Python, its h5py back end), both as Tango
// device servers without a database, driven by the same PyTango client (client.py): the same
// Sardana-like step scans, the two devices' calls alternating Record by Record, and the runs
// alternating which device goes first. Before reporting, h5py checks that both files hold the same
// data. Prints per-Record median/p99, OpenEntry and CloseEntry (medians over the scan and
// --short-scans scans of 10 Records per run), file size and the ratios reference/nxsw.
//   npm run build
//   NXSW_REFERENCE_WRITER=/tmp/nxsdatawriter node bench/vs-reference/run.mjs [--records N] [--warmup W] [--runs R] [--short-scans S] [--keep]
//   (a checkout of nexdatas/nxsdatawriter, e.g.
//    git --git-dir=/work/.mirror/nexdatas+nxsdatawriter/repo archive HEAD | tar -x -C /tmp/nxsdatawriter;
//    nxstools from NXSTOOLS, else /work/shared/reference/nxstools)
// Writes bench/results/vs-reference.json. Needs /usr/bin/python3 (or NXSW_PYTHON) with PyTango and h5py.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNodbServer } from '../nxsw-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const here = join(root, 'bench/vs-reference');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('--records', 2000);
const WARMUP = arg('--warmup', 100);
const RUNS = arg('--runs', 2);
const SHORT_SCANS = arg('--short-scans', 4);
const KEEP = process.argv.includes('--keep');
const PYTHON = process.env.NXSW_PYTHON ?? '/usr/bin/python3';

const REF = process.env.NXSW_REFERENCE_WRITER;
if (!REF || !existsSync(join(REF, 'nxswriter/NXSWriter.py'))) {
  console.error(`bench/vs-reference: ${REF ? `NXSW_REFERENCE_WRITER=${REF} holds no nxswriter/NXSWriter.py` : 'NXSW_REFERENCE_WRITER is not set'}.
Set it to a checkout of nexdatas/nxsdatawriter (the directory holding nxswriter/), e.g.
  git --git-dir=/work/.mirror/nexdatas+nxsdatawriter/repo archive HEAD | tar -x -C /tmp/nxsdatawriter
  NXSW_REFERENCE_WRITER=/tmp/nxsdatawriter node bench/vs-reference/run.mjs`);
  process.exit(2);
}
const NXSTOOLS = process.env.NXSTOOLS ?? join(root, '../../shared/reference/nxstools');
const nxstools = [NXSTOOLS, '/work/shared/reference/nxstools'].find((d) => existsSync(join(d, 'nxstools/filewriter.py')));
if (!nxstools) {
  console.error('bench/vs-reference: nxstools not found; set NXSTOOLS to a directory holding nxstools/ (the reference writer imports it)');
  process.exit(2);
}
const pyEnv = { ...process.env, PYTHONPATH: [REF, nxstools, process.env.PYTHONPATH].filter(Boolean).join(':') };
// nxsw's PYEVAL worker: the same interpreter as the reference's scripts
process.env.NXSW_PYTHON = PYTHON;

/** which reference commit and version ran (a git archive has no .git: then only the version) */
const refVersion = spawnSync(PYTHON, ['-c', 'import nxswriter; print(nxswriter.__version__)'], { env: pyEnv, encoding: 'utf8' }).stdout.trim();
const refCommit = process.env.NXSW_REFERENCE_COMMIT
  ?? (spawnSync('git', ['-C', REF, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim() || 'unknown (set NXSW_REFERENCE_COMMIT)');

const py = (args) => new Promise((resolve, reject) => {
  execFile(PYTHON, [join(here, 'client.py'), ...args], { env: pyEnv, maxBuffer: 1 << 26 }, (err, stdout, stderr) => {
    if (err && err.code !== 1) reject(new Error(`client.py ${args[0]} failed: ${err.message}\n${stderr}`));
    else resolve({ ...JSON.parse(stdout), exitCode: err ? 1 : 0 });
  });
});

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

/** the reference server (reference_server.py: nxswriter.run with the h5py back end), -nodb */
async function startReference(device) {
  const port = await freePort();
  const url = `tango://127.0.0.1:${port}/${device}#dbase=no`;
  let log = '';
  const server = spawn(PYTHON, [join(here, 'reference_server.py'), 'bench', '-nodb', '-port', String(port), '-ORBendPointPublish', `giop:tcp:127.0.0.1:${port}`, '-dlist', device],
    { env: pyEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout.on('data', (b) => { log += b; });
  server.stderr.on('data', (b) => { log += b; });
  for (let i = 0; i < 100; i++) {
    if (server.exitCode !== null) break;
    const r = spawnSync(PYTHON, ['-c', `import tango; tango.DeviceProxy(${JSON.stringify(url)}).state()`], { env: pyEnv });
    if (r.status === 0) return { url, stop: () => server.kill('SIGTERM') };
    await new Promise((r2) => setTimeout(r2, 200));
  }
  server.kill('SIGKILL');
  throw new Error(`the reference server did not start:\n${log}`);
}

const stats = (ms) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median_ms: q(0.5), p99_ms: q(0.99), mean_ms: s.reduce((a, b) => a + b, 0) / s.length };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-vsref-'));
const nxsw = await startNodbServer(root, 'bench/nxsw/1');
const nxswUrl = `tango://127.0.0.1:${nxsw.port}/bench/nxsw/1#dbase=no`;
let reference;
const load = [loadavg()];
const scenarios = { client: [], pyeval: [] };
const checks = [];
try {
  reference = await startReference('bench/ref/1');
  for (let run = 0; run < RUNS; run++) {
    for (const scenario of Object.keys(scenarios)) {
      const first = (run + (scenario === 'pyeval' ? 1 : 0)) % 2 === 0 ? 'nxsw' : 'reference';
      const out = join(dir, `${scenario}-${run}`);
      mkdirSync(out);
      process.stderr.write(`run ${run + 1}/${RUNS}, ${scenario}: ${N} Records after ${WARMUP} warm-up, ${first} first ...\n`);
      const t = await py(['scan', scenario, out, String(N), String(WARMUP), String(SHORT_SCANS), first, `nxsw=${nxswUrl}`, `reference=${reference.url}`]);
      for (const w of ['nxsw', 'reference']) {
        if (t[w].errors.length) throw new Error(`${w} reported errors in ${scenario}: ${t[w].errors.join('; ')}`);
        t[w].size = statSync(t[w].file).size;
      }
      const same = await py(['compare', t.nxsw.file, t.reference.file]);
      for (const [k, points] of same.points.entries()) {
        if (points.length !== WARMUP + N || points.some((p, i) => p !== i)) same.differences.push(`${k ? 'reference' : 'nxsw'}: point_nb holds ${points.length} points, not 0..${WARMUP + N - 1}`);
      }
      checks.push({ scenario, run, datasets: same.datasets, points: same.points[0].length, differences: same.differences });
      if (same.differences.length) {
        throw new Error(`the two files of ${scenario} (run ${run + 1}) differ, so the timings compare different work:\n  ${same.differences.join('\n  ')}`);
      }
      scenarios[scenario].push(t);
      load.push(loadavg());
    }
  }
} finally {
  reference?.stop();
  nxsw.stop();
  if (KEEP) console.error(`files kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

const summary = {};
for (const [scenario, runs] of Object.entries(scenarios)) {
  summary[scenario] = {};
  for (const w of ['nxsw', 'reference']) {
    summary[scenario][w] = {
      record: stats(runs.flatMap((r) => r[w].record_ms)),
      open_entry_ms: median(runs.flatMap((r) => r[w].open_entry_ms)),
      close_entry_ms: median(runs.flatMap((r) => r[w].close_entry_ms)),
      size_bytes: runs[0][w].size,
    };
  }
}
const result = {
  when: new Date().toISOString(), node: process.version, cpus: cpus().length, loadavg: load.map((l) => l.map((x) => +x.toFixed(2))),
  reference: { commit: refCommit, version: refVersion, writer: 'h5py' }, records: N, warmup: WARMUP, runs: RUNS,
  checks, summary, raw: scenarios,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/vs-reference.json'), JSON.stringify(result, null, 2) + '\n');

const f = (ms) => `${ms.toFixed(3)} ms`;
const ratio = (r, n) => `${(r / n).toFixed(1)}×`;
console.log(`nxsw vs the reference NXSDataWriter ${refVersion} (${refCommit}, h5py back end), both Tango servers without a database, one PyTango client`);
console.log(`${N} Records after ${WARMUP} warm-up per scan, ${RUNS} runs per scenario, calls alternating; ${cpus().length} CPUs, load average (1 min) ${load.map((l) => l[0].toFixed(2)).join(' → ')}`);
console.log(`files checked with h5py: ${checks.map((c) => `${c.scenario} run ${c.run + 1}: ${c.datasets} datasets equal, ${c.points} points`).join('; ')}`);
console.log();
console.log('scenario  writer        Record median   Record p99   OpenEntry   CloseEntry   file size');
for (const [scenario, s] of Object.entries(summary)) {
  for (const w of ['nxsw', 'reference']) {
    const x = s[w];
    console.log(`${scenario.padEnd(9)} ${w.padEnd(12)} ${f(x.record.median_ms).padStart(14)} ${f(x.record.p99_ms).padStart(12)} ${f(x.open_entry_ms).padStart(11)} ${f(x.close_entry_ms).padStart(12)} ${String(x.size_bytes).padStart(9)} B`);
  }
  const [n, r] = [s.nxsw, s.reference];
  console.log(`${scenario.padEnd(9)} ${'ref/nxsw'.padEnd(12)} ${ratio(r.record.median_ms, n.record.median_ms).padStart(14)} ${ratio(r.record.p99_ms, n.record.p99_ms).padStart(12)} ${ratio(r.open_entry_ms, n.open_entry_ms).padStart(11)} ${ratio(r.close_entry_ms, n.close_entry_ms).padStart(12)} ${(r.size_bytes / n.size_bytes).toFixed(2).padStart(10)}×`);
}
console.log(`Record median per run, nxsw / reference: ${Object.entries(scenarios).map(([sc, runs]) => `${sc} ${runs.map((r) => `${median(r.nxsw.record_ms).toFixed(2)} / ${median(r.reference.record_ms).toFixed(2)}`).join(', ')}`).join('; ')} ms`);
console.log(`OpenEntry and CloseEntry: medians of ${RUNS * (1 + SHORT_SCANS)} calls each (results: bench/results/vs-reference.json)`);
