#!/usr/bin/env node
/**
 * File size and speed of the chunk rule (core's chunkShape, in the HDF5 sink): Sardana-like step
 * scans (4 counters, a timer, a motor, point_nb, linked into NXdata, the configuration logged as
 * the reference does) written by nxsw
 *  - with the rule and the number of points announced in the global JSON (vars.npoints),
 *  - with the rule, nothing announced,
 *  - with the previous rule (64 KiB chunks whatever the frame: chunkRecords 2^20),
 * next to the same file laid out as the reference writer does (bench/file-size/reference_layout.py:
 * one record per chunk, h5py defaults): sizes as ratios to the reference; for long scans the
 * write time and h5py's time to read every dataset whole, as ratios to the previous rule.
 *
 *   node bench/file-size/run.mjs [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, WriterSession } from '../../core/dist/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const PY = '/usr/bin/python3';
const asJson = process.argv.includes('--json');

const COUNTERS = ['exp_c01', 'exp_c02', 'exp_c03', 'exp_c04', 'exp_t01', 'exp_mot01'];
const XML = `<definition><group type="NXentry" name="$var.entryname#'scan'$var.serialno">
  <field name="title" type="NX_CHAR"><strategy mode="INIT"/><datasource type="CLIENT"><record name="title"/></datasource></field>
  <field name="start_time" type="NX_DATE_TIME"><strategy mode="INIT"/><datasource type="CLIENT"><record name="start_time"/></datasource></field>
  <field name="end_time" type="NX_DATE_TIME"><strategy mode="FINAL"/><datasource type="CLIENT"><record name="end_time"/></datasource></field>
  <field name="program_name" type="NX_CHAR">NXSDataWriter<attribute name="scan_command" type="NX_CHAR"><strategy mode="INIT"/><datasource type="CLIENT"><record name="scan_command"/></datasource></attribute></field>
  <group type="NXinstrument" name="instrument">
    <group type="NXsource" name="source"><field name="name" type="NX_CHAR">PETRA III<attribute name="short_name">P3</attribute></field><field name="type" type="NX_CHAR">Synchrotron X-ray Source</field></group>
    <group type="NXcollection" name="collection">
      ${COUNTERS.map((c) => `<field name="${c}" type="NX_FLOAT" units="counts"><strategy mode="STEP"/><datasource type="CLIENT" name="${c}"><record name="${c}"/></datasource></field>`).join('\n      ')}
      <field name="point_nb" type="NX_INT"><strategy mode="STEP"/><datasource type="CLIENT" name="point_nb"><record name="point_nb"/></datasource></field>
    </group>
  </group>
  <group type="NXsample" name="sample"><field name="name" type="NX_CHAR"><strategy mode="INIT"/><datasource type="CLIENT"><record name="sample_name"/></datasource></field></group>
  <group type="NXdata" name="data">
    ${[...COUNTERS, 'point_nb'].map((c) => `<link name="${c}" target="/$var.entryname#'scan'$var.serialno/instrument/collection/${c}"/>`).join('\n    ')}
  </group>
</group></definition>`;

/** the JSON a Sardana NXS recorder sends before OpenEntry (with "vars.npoints" when the macro has nb_points) */
function globalJson(serial, points, hint) {
  const vars = { serialno: serial, entryname: 'scan', ...(hint ? { npoints: points } : {}) };
  return JSON.stringify({ data: { title: `ascan exp_mot01 0 1 ${points - 1} 0.1`, start_time: '2026-12-03T10:00:00.000000+0100', sample_name: 'Si', scan_command: 'ascan' }, vars });
}

async function scan(kernel, file, { points, scans = 1, durability, hint }) {
  const serial = 1;
  const s = new WriterSession({ extensions: kernel, durability });
  s.setFileName(file);
  await s.openFile();
  const t0 = performance.now();
  for (let k = 0; k < scans; k++) {
    s.setXmlSettings(XML.replaceAll('$var.serialno', String(serial + k)).replaceAll("$var.entryname#'scan'", 'scan_'));
    s.setJsonRecord(globalJson(serial + k, points, hint));
    await s.openEntry();
    for (let i = 0; i < points; i++) {
      const data = Object.fromEntries(COUNTERS.map((c, j) => [c, i * 1.5 + j]));
      await s.record(JSON.stringify({ data: { ...data, point_nb: i } }));
    }
    s.setJsonRecord(JSON.stringify({ data: { end_time: '2026-12-03T10:01:00.000000+0100' } }));
    await s.closeEntry();
  }
  const seconds = (performance.now() - t0) / 1000;
  await s.closeFile();
  return seconds;
}

/** seconds h5py takes to read every dataset of the file whole (median of `reps`, page cache warm) */
function readSeconds(file, reps) {
  const script = `
import h5py, sys, time
def read(name, obj):
    if isinstance(obj, h5py.Dataset):
        obj[()]
def run():
    t = time.perf_counter()
    with h5py.File(sys.argv[1], 'r') as f:
        f.visititems(read)
    return time.perf_counter() - t
run()
print(sorted(run() for _ in range(int(sys.argv[2])))[int(sys.argv[2]) // 2])`;
  return Number(execFileSync(PY, ['-c', script, file, String(reps)], { encoding: 'utf8' }));
}

const CASES = [
  { name: '6 points, 4 counters', points: 6 },
  { name: '2 appended 3-point scans', points: 3, scans: 2 },
  { name: '100 points', points: 100 },
  { name: '3000 points, flush every Record', points: 3000, speed: true },
  { name: '100 000 points, flush every second', points: 100000, speed: true, durability: { mode: 'interval', intervalMs: 1000 } },
];

const VARIANTS = [
  { key: 'rule', hint: true, options: {} },
  { key: 'noHint', hint: false, options: {} },
  { key: 'previous', hint: false, options: { chunkRecords: 1 << 20 } },
];

const dir = mkdtempSync(join(tmpdir(), 'nxsw-bench-size-'));
const kernels = {};
for (const v of VARIANTS) kernels[v.key] = await Kernel.start({ cwd: repo, pluginOptions: { '@nxsw/sink-hdf5': v.options } });
const rows = [];
let n = 0;
try {
  for (const c of CASES) {
    const row = { name: c.name };
    const files = {};
    const times = Object.fromEntries(VARIANTS.map((v) => [v.key, []]));
    // variants interleaved, the median of 3 for the timed cases: the machine is shared
    for (let rep = 0; rep < (c.speed ? 3 : 1); rep++) {
      for (const v of VARIANTS) {
        if (files[v.key]) rmSync(files[v.key]);
        files[v.key] = join(dir, `nxsw-${n++}.nxs`);
        times[v.key].push(await scan(kernels[v.key], files[v.key], { ...c, hint: v.hint }));
      }
    }
    for (const v of VARIANTS) {
      const t = times[v.key].sort((a, b) => a - b);
      row[v.key] = { bytes: statSync(files[v.key]).size, ...(c.speed ? { writeS: t[Math.floor(t.length / 2)], readS: readSeconds(files[v.key], 5) } : {}) };
    }
    const ref = join(dir, `ref-${n++}.nxs`);
    execFileSync(PY, [join(here, 'reference_layout.py'), files.rule, ref]);
    // one read: the reference layout (a chunk per record) takes seconds
    row.reference = { bytes: statSync(ref).size, ...(c.speed ? { readS: readSeconds(ref, 1) } : {}) };
    rows.push(row);
  }
} finally {
  for (const k of Object.values(kernels)) await k.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (asJson) console.log(JSON.stringify(rows, null, 1));
else {
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  console.log('| scan | reference layout | rule, points announced | rule, nothing announced | previous rule (64 KiB) |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(`| ${r.name} | ${r.reference.bytes} B | ${r.rule.bytes} B (${ratio(r.rule.bytes, r.reference.bytes)}) | ${r.noHint.bytes} B (${ratio(r.noHint.bytes, r.reference.bytes)}) | ${r.previous.bytes} B (${ratio(r.previous.bytes, r.reference.bytes)}) |`);
  }
  console.log('\n| long scan | write s: announced / nothing / previous | h5py read ms: announced / nothing / previous / reference layout |');
  console.log('|---|---|---|');
  for (const r of rows.filter((x) => x.rule.writeS !== undefined)) {
    const w = `${r.rule.writeS.toFixed(2)} / ${r.noHint.writeS.toFixed(2)} / ${r.previous.writeS.toFixed(2)} (${ratio(r.rule.writeS, r.previous.writeS)}, ${ratio(r.noHint.writeS, r.previous.writeS)})`;
    const ms = (x) => (x * 1000).toFixed(1);
    const rd = `${ms(r.rule.readS)} / ${ms(r.noHint.readS)} / ${ms(r.previous.readS)} / ${ms(r.reference.readS)} (${ratio(r.rule.readS, r.previous.readS)}, ${ratio(r.noHint.readS, r.previous.readS)})`;
    console.log(`| ${r.name} | ${w} | ${rd} |`);
  }
}
