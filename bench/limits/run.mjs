#!/usr/bin/env node
// How long nxsw takes to check or refuse large and hostile inputs (the attacks of issue 9), next
// to the cost of merely reading the same document (sax without a tree, or JSON.parse of the record
// without its nesting) in the same run.
//   npm run build && node bench/limits/run.mjs [--core ROOT] [--only TEXT] [--json]
// --core ROOT measures another built checkout (e.g. an older commit) with the same inputs, so a
// before/after comparison runs the same script twice. Each workload runs in its own process
// (2 GiB heap, 120 s): a crash or a time-out is reported as such instead of ending the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const arg = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);

const entry = (inner) => `<definition><group type="NXentry" name="entry1">${inner}</group></definition>`;
const repeat = (n, f) => Array.from({ length: n }, (_, i) => f(i)).join('');
const WORKLOADS = {
  'XMLSettings: 100 000 static fields': { xml: () => entry(repeat(100_000, (i) => `<field name="f${i}" type="NX_INT">${i}</field>`)) },
  'nxsw check: 100 000 static fields': { xml: () => entry(repeat(100_000, (i) => `<field name="f${i}" type="NX_INT">${i}</field>`)), check: true },
  'XMLSettings: 8 000 static attributes on one group': { xml: () => entry(repeat(8000, (i) => `<attribute name="a${i}">v${i}</attribute>`)) },
  'XMLSettings + OpenEntry: 8 000 static attributes': { xml: () => entry(repeat(8000, (i) => `<attribute name="a${i}">v${i}</attribute>`)), open: true },
  'XMLSettings + OpenEntry: 10 000 static fields': { xml: () => entry(repeat(10_000, (i) => `<field name="f${i}" type="NX_INT">${i}</field>`)), open: true },
  'XMLSettings + OpenEntry: 4 000 datasource links': {
    xml: () => entry(`<field name="t" type="NX_INT">1</field>${repeat(4000, (i) => `<link name="l${i}"><datasource type="CLIENT"><record name="tgt"/></datasource></link>`)}`),
    global: '{"data": {"tgt": "/entry1/t"}}', open: true,
  },
  'refuse: rank 2147483648': { xml: () => entry('<field name="f" type="NX_INT"><dimensions rank="2147483648"/>1</field>'), open: true },
  'refuse: rank 100 000 000': { xml: () => entry('<field name="f" type="NX_INT"><dimensions rank="100000000"/>1</field>'), open: true },
  'refuse: elements nested 100 000 deep': { xml: () => `<definition>${'<group type="NXentry">'.repeat(100_000)}${'</group>'.repeat(100_000)}</definition>` },
  'refuse: 250 000 elements': { xml: () => entry(repeat(250_000, () => '<doc/>')) },
  'refuse: 1 000 000 XML attributes on one tag': { xml: () => entry(`<group type="NXdata" ${repeat(1_000_000, (i) => `a${i}="1" `)}/>`) },
  'refuse: JSON record nested 1 000 000 deep': { json: () => `{"data": {"c1": ${'['.repeat(1_000_000)}1${']'.repeat(1_000_000)}}}` },
};

async function worker(root, name, dir) {
  const w = WORKLOADS[name];
  const core = await import(join(root, 'core/dist/src/index.js'));
  const { default: sax } = await import('sax');
  const kernel = await core.Kernel.start({ cwd: root });
  const session = new core.WriterSession({ extensions: kernel });
  const text = (w.xml ?? w.json)();
  let t = performance.now();
  if (w.xml) {
    const p = sax.parser(true, {});
    p.write(text).close();
  } else JSON.parse(text.replace(/\[+1\]+/, '1'));
  const baseline = performance.now() - t;
  t = performance.now();
  let outcome = 'accepted';
  try {
    if (w.json) session.setJsonRecord(text);
    else if (w.check) await session.checkConfiguration(text);
    else {
      session.setXmlSettings(text);
      if (w.global) session.setJsonRecord(w.global);
      if (w.open) {
        session.setFileName(join(dir, 'bench.nxs'));
        await session.openFile();
        await session.openEntry();
        await session.closeFile();
      }
    }
  } catch (e) {
    outcome = `refused (${e.code ?? e.name})`;
  }
  const ms = performance.now() - t;
  await kernel.stop();
  process.stdout.write(JSON.stringify({ ms, baseline, outcome }));
}

if (process.argv[2] === '--worker') {
  await worker(process.argv[3], process.argv[4], process.argv[5]);
} else {
  const root = arg('--core') ?? fileURLToPath(new URL('../..', import.meta.url));
  const rows = [];
  const only = arg('--only');
  for (const name of Object.keys(WORKLOADS).filter((n) => !only || n.includes(only))) {
    const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-limits-'));
    const r = spawnSync(process.execPath, ['--max-old-space-size=2048', here, '--worker', root, name, dir], { encoding: 'utf8', timeout: 120_000, cwd: root });
    rmSync(dir, { recursive: true, force: true });
    let row;
    try {
      row = { name, ...JSON.parse(r.stdout) };
    } catch {
      const why = r.error?.code === 'ETIMEDOUT' || r.signal === 'SIGTERM' ? 'no answer within 120 s' : /heap out of memory|Invalid array length|allocation failed/i.test(r.stderr) ? 'crashed: out of memory' : `crashed: ${r.stderr.split('\n').find((l) => /Error/.test(l)) ?? r.status}`;
      row = { name, ms: NaN, baseline: NaN, outcome: why };
    }
    rows.push(row);
    if (!process.argv.includes('--json')) {
      const ratio = Number.isFinite(row.ms) ? `${(row.ms / row.baseline).toFixed(1)}x` : '';
      console.log(`${name.padEnd(52)} ${Number.isFinite(row.ms) ? `${row.ms.toFixed(0).padStart(7)} ms` : '          '}  read alone ${Number.isFinite(row.baseline) ? `${row.baseline.toFixed(0).padStart(5)} ms` : '        '}  ${ratio.padStart(6)}  ${row.outcome}`);
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify({ core: root, rows }, null, 2));
}
