#!/usr/bin/env node
// nxsw's NXDL verdicts next to cnxvalidate's on the same written files: the examples (NXmx,
// NXxas) as they are and with one part removed or broken, written by `nxsw write`; the table in
// docs/nxdl.md comes from this script. A second table covers dimension symbols, maxOccurs and
// choice, which cnxvalidate reports as optional warnings (its -o): there both sides show those.
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
// NXtomo: 5 frames of 2 x 3 pixels (the e2e test's scan)
const tomoXml = `<definition><group type="NXentry" name="entry"><field name="definition">NXtomo</field><field name="title">tomo</field>
<group type="NXinstrument" name="instrument"><group type="NXsource" name="source"><field name="type">Synchrotron X-ray Source</field><field name="name">PETRA III</field><field name="probe">x-ray</field></group>
<group type="NXdetector" name="detector"><field name="data" type="NX_INT32" units="counts" signal="1"><dimensions rank="2"><dim index="1" value="2"/><dim index="2" value="3"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="image"/></datasource></field>
<field name="image_key" type="NX_INT32"><strategy mode="STEP"/><datasource type="CLIENT"><record name="key"/></datasource></field></group></group>
<group type="NXsample" name="sample"><field name="name">wood</field><field name="rotation_angle" type="NX_FLOAT" units="deg" axis="1"><strategy mode="STEP"/><datasource type="CLIENT"><record name="angle"/></datasource></field></group>
<group type="NXdata" name="data"><link name="data" target="/entry/instrument/detector/data"/><link name="rotation_angle" target="/entry/sample/rotation_angle"/><link name="image_key" target="/entry/instrument/detector/image_key"/></group>
</group></definition>`;
const tomoRecords = join(dir, 'tomo.jsonl');
writeFileSync(tomoRecords, [0, 1, 2, 3, 4].map((k) => JSON.stringify({ data: { image: [[k, 1, 2], [3, 4, 5]], key: 0, angle: 45 * k, image2: [[1, 2], [3, 4]] } })).join('\n'));
const tomo = { xml: tomoXml, args: ['-r', tomoRecords] };
// the NXmx scan with a second image per record (a second detector)
const mxRecords = join(dir, 'mx.jsonl');
writeFileSync(mxRecords, read('examples/nxmx/records.jsonl').split('\n').filter((l) => l.trim()).map((l) => {
  const r = JSON.parse(l);
  return JSON.stringify({ data: { ...r.data, image2: [[1, 2], [3, 4]] } });
}).join('\n'));
const mx2 = { xml: mx.xml, args: ['-g', 'examples/scan/global.json', '-r', mxRecords, '-f', 'examples/scan/final.json'] };
const grid = (rows, cols) => Array.from({ length: rows }, () => Array(cols).fill(0).join(' ')).join('\n');
const inDetector = (x, xml) => x.replace('<field name="data" type="NX_INT32" units="counts">', `${xml}<field name="data" type="NX_INT32" units="counts">`);
const inBeam = (x, xml) => x.replace('<group type="NXbeam" name="beam">', `<group type="NXbeam" name="beam">${xml}`);
const detector2 = (extra) => `<group type="NXdetector" name="detector2"><field name="data" type="NX_INT32" units="counts"><dimensions rank="2"><dim index="1" value="2"/><dim index="2" value="2"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="image2"/></datasource></field>${extra}</group>`;
const inInstrument = (x, xml) => x.replace('<group type="NXinstrument" name="instrument">', `<group type="NXinstrument" name="instrument">${xml}`);

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

const ruleCases = [
  ['NXmx pixel_mask 4 x 3, images 4 x 4', mx, (x) => inDetector(x, `<field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 3)}</field>`)],
  ['NXmx pixel_mask 4 x 4, images 4 x 4', mx, (x) => inDetector(x, `<field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 4)}</field>`)],
  ['NXmx one polarization, 5 scan points', mx, (x) => inBeam(x, '<field name="incident_polarization_stokes" type="NX_FLOAT64" units="1"><dimensions rank="2"/>1 0 0 0</field>')],
  ['NXmx second detector of 2 x 2 pixels', mx2, (x) => inInstrument(x, detector2(''))],
  ['NXmx second detector, its pixel_mask 4 x 4', mx2, (x) => inInstrument(x, detector2(`<field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 4)}</field>`))],
  ['NXmx flatfield_error (maxOccurs="0")', mx, (x) => inDetector(x, `<field name="flatfield_error" type="NX_FLOAT64"><dimensions rank="2"/>${grid(4, 4)}</field>`)],
  ['NXmx pixel_shape: NXcylindrical_geometry', mx, (x) => inDetector(x, '<group type="NXcylindrical_geometry" name="pixel_shape"/>')],
  ['NXmx pixel_shape: NXdata', mx, (x) => inDetector(x, '<group type="NXdata" name="pixel_shape"/>')],
  ['NXtomo 5 frames, 5 angles', tomo, (x) => x],
  ['NXtomo 5 frames, 3 static angles', tomo, (x) => x.replace(/<field name="rotation_angle"[\s\S]*?<\/field>/, '<field name="rotation_angle" type="NX_FLOAT" units="deg" axis="1"><dimensions rank="1"/>0 90 180</field>')],
];

/** writes the case with nxsw, then the findings of both validators (cnxvalidate with its options) */
function run(name, ex, edit, i, cnxOptions) {
  const cfg = join(dir, `c${i}.xml`);
  const file = join(dir, `c${i}.nxs`);
  writeFileSync(cfg, edit(ex.xml));
  const w = spawnSync(process.execPath, [CLI, 'write', cfg, '-o', file, '--no-logs', ...ex.args], { cwd: repo, encoding: 'utf8' });
  if (w.status !== 0) throw new Error(`${name}: nxsw write failed: ${w.stderr}`);
  const v = JSON.parse(spawnSync(process.execPath, [CLI, 'validate', file, '--json'], { cwd: repo, encoding: 'utf8' }).stdout);
  const c = spawnSync(cnx, [...cnxOptions, '-l', join(repo, 'core/nxdl'), file], { encoding: 'utf8' });
  const theirs = `${c.stdout}${c.stderr}`.split('\n').filter((l) => /sev=/.test(l)).map((l) => ({
    sev: /sev=(\S+)/.exec(l)?.[1], message: /message="([^"]*)"/.exec(l)?.[1] ?? /message=(\S+)/.exec(l)?.[1],
    nxdlPath: /nxdlPath=(\S+)/.exec(l)?.[1] ?? '', dataPath: /dataPath=(\S+)/.exec(l)?.[1] ?? '',
  }));
  return { ours: v.findings, theirs };
}

console.log('| case | nxsw validate: errors | cnxvalidate: errors |\n|---|---|---|');
try {
  cases.forEach(([name, ex, edit], i) => {
    const { ours, theirs } = run(name, ex, edit, i, []);
    const o = ours.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.definition}`);
    const t = theirs.filter((f) => f.sev === 'error').map((f) => `${f.message} ${f.nxdlPath}`.trim());
    console.log(`| ${name} | ${o.join('; ') || 'none'} | ${t.join('; ') || 'none'} |`);
  });
  // symbols, maxOccurs, choice: nxsw's findings of these rules; cnxvalidate's errors and optional
  // warnings (-o) except what is missing (the second detector is a bare one on purpose)
  console.log('\n| case | nxsw validate: these rules | cnxvalidate -o: errors and warnings other than missing parts |\n|---|---|---|');
  ruleCases.forEach(([name, ex, edit], i) => {
    const { ours, theirs } = run(name, ex, edit, 100 + i, ['-o']);
    const o = ours.filter((f) => ['SYMBOL', 'SYMBOL_UNKNOWN', 'TOO_MANY', 'CHOICE'].includes(f.code)).map((f) => `${f.severity} ${f.code} ${f.where.path}`);
    const t = theirs.filter((f) => (f.sev === 'error' || f.sev === 'warnopt') && !/^(Required|Optional) .* missing/.test(f.message ?? '')).map((f) => `${f.sev} ${f.message} ${f.dataPath}`);
    console.log(`| ${name} | ${o.join('; ') || 'none'} | ${t.join('; ') || 'none'} |`);
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
