#!/usr/bin/env node
// nxsw's NXDL verdicts next to cnxvalidate's on the same written files: the examples (NXmx,
// NXxas) as they are and with one part removed or broken, written by `nxsw write`; the table in
// docs/nxdl.md comes from this script.
// Usage: CNXVALIDATE=/path/to/nxvalidate node scripts/nxdl-compare.mjs   (after `npx tsc -b`)
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(repo, 'core/dist/src/cli/main.js');
const cnx = process.env.CNXVALIDATE;
if (!cnx) {
  console.error('set CNXVALIDATE=/path/to/nxvalidate (cnxvalidate built from github.com/nexusformat/cnxvalidate)');
  process.exit(2);
}
const dir = mkdtempSync(join(tmpdir(), 'nxsw-nxdl-compare-'));
const read = (p) => readFileSync(join(repo, p), 'utf8');
const mx = { xml: read('examples/nxmx/nxmx.xml'), args: ['-g', 'examples/scan/global.json', '-r', 'examples/nxmx/records.jsonl', '-f', 'examples/scan/final.json'] };
const xas = { xml: read('examples/nxxas/nxxas.xml'), args: ['-g', 'examples/nxxas/global.json', '-r', 'examples/nxxas/records.jsonl'] };
const cut = (xml, re) => {
  const out = xml.replace(re, '');
  if (out === xml) throw new Error(`no match for ${re}`);
  return out;
};

const cases = [
  ['NXmx example', mx, (x) => x],
  ['NXmx without sensor_thickness', mx, (x) => cut(x, /<field name="sensor_thickness"[^>]*>[^<]*<\/field>/)],
  ['NXmx without the source group', mx, (x) => cut(x, /<group type="NXsource" name="source">[\s\S]*?<\/group>/)],
  ['NXmx without @transformation_type', mx, (x) => x.replace('transformation_type="translation" vector="1 0 0"', 'vector="1 0 0"')],
  ['NXmx thickness in degrees', mx, (x) => x.replace('name="sensor_thickness" type="NX_FLOAT" units="mm"', 'name="sensor_thickness" type="NX_FLOAT" units="deg"')],
  ['NXmx thickness as an integer', mx, (x) => x.replace('name="sensor_thickness" type="NX_FLOAT" units="mm">0.45', 'name="sensor_thickness" type="NX_INT32" units="mm">1')],
  ['NXmx data_origin as floats', mx, (x) => x.replace('name="data_origin" type="NX_INT32"', 'name="data_origin" type="NX_FLOAT32"')],
  ['NXmx transformation_type rotation', mx, (x) => x.replace('transformation_type="translation" vector="0 1 0"', 'transformation_type="rotation" vector="0 1 0"')],
  ['NXmx start_time not ISO 8601', mx, (x) => cut(x, /<field name="start_time"[\s\S]*?<\/field>/).replace('<field name="end_time_estimated"', '<field name="start_time" type="NX_DATE_TIME">yesterday</field><field name="end_time_estimated"')],
  ['NXmx sample chain to nothing', mx, (x) => x.replace('/entry1/sample/transformations/omega</field>', 'transformations/phi</field>')],
  ['NXmx det_z without @vector', mx, (x) => x.replace('transformation_type="translation" vector="0 0 1"', 'transformation_type="translation"')],
  ['NXmx omega without @offset', mx, (x) => cut(x, /<attribute name="offset"[^\n]*\n\s*(?=<strategy mode="STEP"\/>\s*<datasource type="CLIENT"><record name="omega")/)],
  ['NXxas example', xas, (x) => x],
  ['NXxas without monitor/preset', xas, (x) => cut(x, /<field name="preset"[^>]*>[^<]*<\/field>/)],
  ['NXxas without the energy link', xas, (x) => cut(x, /<link name="energy"[^>]*\/>/)],
  ['NXxas energy link to I0', xas, (x) => x.replace('target="/NXentry/NXinstrument/monochromator:NXmonochromator/energy"', 'target="/entry/instrument/incoming_beam/data"')],
  ['NXxas mode "Reflection"', xas, (x) => x.replace('<field name="mode">Transmission</field>', '<field name="mode">Reflection</field>')],
  ['NXxas energy of rank 2', xas, (x) => x.replace('<datasource type="CLIENT"><record name="energy"/>', '<dimensions rank="1"><dim index="1" value="1"/></dimensions><datasource type="CLIENT"><record name="energy"/>')],
  ['NXxas without energy@axis', xas, (x) => x.replace(' axis="1"', '')],
];

console.log('| case | nxsw validate: errors | cnxvalidate: errors |\n|---|---|---|');
try {
  cases.forEach(([name, ex, edit], i) => {
    const cfg = join(dir, `c${i}.xml`);
    const file = join(dir, `c${i}.nxs`);
    writeFileSync(cfg, edit(ex.xml));
    const w = spawnSync(process.execPath, [CLI, 'write', cfg, '-o', file, '--no-logs', ...ex.args], { cwd: repo, encoding: 'utf8' });
    if (w.status !== 0) throw new Error(`${name}: nxsw write failed: ${w.stderr}`);
    const v = JSON.parse(spawnSync(process.execPath, [CLI, 'validate', file, '--json'], { cwd: repo, encoding: 'utf8' }).stdout);
    const ours = v.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.definition}`);
    const c = spawnSync(cnx, ['-l', join(repo, 'core/nxdl'), file], { encoding: 'utf8' });
    const theirs = `${c.stdout}${c.stderr}`.split('\n').filter((l) => /sev=error/.test(l))
      .map((l) => `${/message="([^"]*)"/.exec(l)?.[1]} ${/nxdlPath=(\S+)/.exec(l)?.[1] ?? ''}`.trim());
    console.log(`| ${name} | ${ours.join('; ') || 'none'} | ${theirs.join('; ') || 'none'} |`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
