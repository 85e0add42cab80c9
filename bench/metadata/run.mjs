// The SciCat metadata of one entry (MetadataOutput): nxsw's scicatMetadata, reading the file back
// through the HDF5 sink, next to nxstools' Metadata.metadata (the reference's way) on the same
// file, in the same run. The entry: 10 detectors × 20 fields (STEP series, INIT strings, static
// spectra), links in an NXdata group, 20 records.
// Usage: node bench/metadata/run.mjs [runs]   (after the build; nxstools from NXSTOOLS_PATH or shared/)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scicatMetadata } from '../../core/dist/src/index.js';
import { nxstoolsPath, SYSTEM_PYTHON } from '../../core/dist/src/testkit/index.js';
import { Hdf5SinkFactory } from '../../plugins/sink-hdf5/dist/src/index.js';

const RUNS = Number(process.argv[2] ?? 50);
const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'nxsw-metabench-'));
try {
  const fields = (d) => Array.from({ length: 20 }, (_, i) => {
    if (i % 3 === 0) return `<field name="s${i}" type="NX_FLOAT" units="mm"><strategy mode="STEP"/><datasource type="CLIENT"><record name="d${d}_${i}"/></datasource></field>`;
    if (i % 3 === 1) return `<field name="n${i}"><strategy mode="INIT"/><datasource type="CLIENT"><record name="name"/></datasource></field>`;
    return `<field name="v${i}" type="NX_INT32">1 2 3 4<dimensions rank="1"/></field>`;
  }).join('');
  const dets = Array.from({ length: 10 }, (_, d) => `<group type="NXdetector" name="det${d}">${fields(d)}</group>`).join('');
  const links = Array.from({ length: 10 }, (_, d) => `<link name="s${d}" target="/entry/instrument/det${d}/s0"/>`).join('');
  writeFileSync(join(dir, 'c.xml'), `<definition><group type="NXentry" name="entry"><field name="title">bench</field>
    <group type="NXinstrument" name="instrument">${dets}</group><group type="NXdata" name="data">${links}</group></group></definition>`);
  writeFileSync(join(dir, 'g.json'), JSON.stringify({ data: { name: 'x' } }));
  const rec = Object.fromEntries(Array.from({ length: 10 }, (_, d) => Array.from({ length: 20 }, (_, i) => [`d${d}_${i}`, d + i / 10])).flat());
  writeFileSync(join(dir, 'r.jsonl'), `${Array.from({ length: 20 }, () => JSON.stringify({ data: rec })).join('\n')}\n`);
  const file = join(dir, 'bench_00001.nxs');
  execFileSync(process.execPath, [join(repo, 'core/dist/src/cli/main.js'), 'write', join(dir, 'c.xml'), '--output', file, '--global', join(dir, 'g.json'), '--records', join(dir, 'r.jsonl')]);

  const f = await new Hdf5SinkFactory().open(file, { mode: 'append' });
  scicatMetadata(f.root, 'entry', { fileName: file }); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < RUNS; i++) scicatMetadata(f.root, 'entry', { fileName: file });
  const ours = (performance.now() - t0) / RUNS;
  f.close();

  const path = nxstoolsPath();
  let theirs;
  if (path) {
    const r = spawnSync(SYSTEM_PYTHON, [join(here, 'baseline_nxstools.py'), file, 'entry', String(RUNS)], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path } });
    if (r.status === 0) theirs = Number(r.stdout.trim());
    else console.error(`nxstools baseline failed: ${r.stderr.trim().split('\n').pop()}`);
  } else console.error('nxstools not found (set NXSTOOLS_PATH): baseline skipped');
  console.log(`SciCat metadata of one entry (10 × 20 fields, 10 links, 20 records), ${RUNS} runs`);
  console.log(`nxsw (HDF5 sink)      ${ours.toFixed(2)} ms per entry`);
  if (theirs !== undefined) console.log(`nxstools (h5py)       ${theirs.toFixed(2)} ms per entry\nratio nxsw/nxstools   ${(ours / theirs).toFixed(2)}x`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
