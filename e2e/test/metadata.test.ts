// MetadataOutput: the SciCat metadata of each NXentry, written at CloseEntry by `nxsw write
// --metadata` and by a session with MetadataOutput "file", compared with what nxstools makes
// for the same file with the reference writer's options (Python, from the shared nxstools copy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { haveH5py, haveNxstools, referenceScicatMetadata, serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { REPO, newSession, tempDir } from './scan.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || serviceSkip('nxstools (shared/reference/nxstools beside the repository, or NXSTOOLS_PATH)', haveNxstools(), 'its Python needs python3-tz, python3-dateutil, python3-lxml, python3-yaml');

/** every kind of value, attribute, datasource and dataset-level field the metadata knows */
const xml = (dir: string) => `<definition>
  <group type="NXentry" name="scan_17">
    <attribute name="beamtimeId">11012345</attribute>
    <attribute name="data">an attribute named like a child group</attribute>
    <field name="title">Ünïcode ✓ title</field>
    <field name="definition">NXsaxs</field>
    <field name="experiment_description">techniques: [waxs, PaNET01188, XRD]</field>
    <field name="end_time" type="NX_DATE_TIME"><strategy mode="FINAL"/><datasource type="CLIENT"><record name="end_time"/></datasource></field>
    <field name="program_name">nxsw<attribute name="scan_command">ascan mot1 0 1 10 0.1</attribute></field>
    <field name="count" type="NX_INT64">9007199254740993</field>
    <field name="small" type="NX_FLOAT64">0.00001</field>
    <field name="big" type="NX_FLOAT64">1e16</field>
    <field name="whole" type="NX_FLOAT32">100</field>
    <field name="flag" type="NX_BOOLEAN">true</field>
    <field name="vec" type="NX_INT32">1 2 3<dimensions rank="1"/><attribute name="shape">an attribute named shape</attribute><attribute name="value">an attribute named value</attribute></field>
    <field name="mat" type="NX_FLOAT">1 2<dimensions rank="2"/></field>
    <field name="step1" type="NX_FLOAT" units="mm"><strategy mode="STEP"/><datasource type="CLIENT" name="s1"><record name="x"/></datasource></field>
    <field name="stepn" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="y"/></datasource></field>
    <field name="nan" type="NX_FLOAT"><strategy mode="INIT"/><datasource type="CLIENT"><record name="nan"/></datasource></field>
    <group type="NXinstrument" name="instrument">
      <attribute name="ints" type="NX_INT64">1 2 3<dimensions rank="1"/></attribute>
      <attribute name="one" type="NX_FLOAT64">2.5<dimensions rank="1"/></attribute>
      <attribute name="yes" type="NX_BOOLEAN">true</attribute>
      <group type="NXdetector" name="det">
        <field name="tprop" type="NX_FLOAT"><strategy mode="INIT" canfail="true"/><datasource type="TANGO" name="tp"><device name="a/b/c" hostname="127.0.0.1" port="1" member="property"/><record name="Prop"/></datasource></field>
        <field name="tcmd" type="NX_FLOAT"><strategy mode="INIT" canfail="true"/><datasource type="TANGO"><device name="a/b/c" hostname="127.0.0.1" port="1" member="command"/><record name="Cmd"/></datasource></field>
        <field name="db" type="NX_CHAR"><strategy mode="INIT" canfail="true"/><datasource type="DB"><database dbtype="SQLITE" dbname="/nonexistent/dir/x.sqlite"/><query format="SCALAR">SELECT 1</query></datasource></field>
        <field name="ev" type="NX_FLOAT"><strategy mode="INIT"/><datasource type="PYEVAL"><result name="r">ds.r = 1.5 * 2</result></datasource></field>
        <field name="strs">a b c<dimensions rank="1"/></field>
        <link name="ext" target="det_not_written_yet.h5://entry/data"/>
      </group>
    </group>
    <group type="NXsample" name="sample">
      <field name="name">Si</field>
      <field name="description">sample_id: S-0042
note: yaml</field>
    </group>
    <group type="NXdata" name="data">
      <link name="step1" target="/scan_17/step1"/>
      <link name="v" target="scan_17:NXentry/vec"/>
      <link name="image" target="/scan_17/instrument/det/ext/data"/>
      <link name="frames_link" target="${dir}/det_00017.h5://entry/data/frames"/>
    </group>
  </group>
</definition>`;

test('nxsw write --metadata: the same JSON text as nxstools makes for the file', { skip, timeout: 60_000 }, () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'scan_00017.nxs');
    writeFileSync(join(t.dir, 'meta.xml'), xml(t.dir));
    // a detector file written before: the link into it is keyed by the object's own name there, as h5py names it
    execFileSync(SYSTEM_PYTHON, ['-c', `import h5py\nwith h5py.File(${JSON.stringify(join(t.dir, 'det_00017.h5'))}, "w") as f: f["entry/data/frames"] = [[1, 2], [3, 4]]`]);
    writeFileSync(join(t.dir, 'g.json'), JSON.stringify({ data: { nan: 'nan' } }));
    writeFileSync(join(t.dir, 'r.jsonl'), `${JSON.stringify({ data: { x: 1.25, y: 1 } })}\n`);
    writeFileSync(join(t.dir, 'f.json'), JSON.stringify({ data: { end_time: '2026-11-25 10:05:00.123+01:00', y: 2 } }));
    const r = spawnSync(process.execPath, [join(REPO, 'core/dist/src/cli/main.js'), 'write', join(t.dir, 'meta.xml'), '--output', file,
      '--global', join(t.dir, 'g.json'), '--records', join(t.dir, 'r.jsonl'), '--final', join(t.dir, 'f.json'), '--metadata'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const ours = readFileSync(`${file}.scan_17.json`, 'utf8');
    assert.equal(ours, referenceScicatMetadata(file, 'scan_17'));
    // what the comparison covers, spelled out
    const md = JSON.parse(ours) as Record<string, any>;
    assert.equal(md.pid, '11012345/scan_00017');
    assert.equal(md.sampleId, 'S-0042');
    assert.equal(md.creationTime, '2026-11-25T10:05:00.123000+0100');
    assert.deepEqual(md.techniques.map((x: { pid: string }) => x.pid), ['http://purl.org/pan-science/PaNET/PaNET01191', 'http://purl.org/pan-science/PaNET/PaNET01188', 'XRD']);
    const sm = md.scientificMetadata;
    assert.equal(sm.step1.unit, 'mm');
    assert.equal(sm.step1.source_name, 's1');
    assert.equal(sm.step1.nexdatas_source, undefined);
    assert.equal(sm.instrument.det.tprop.source, '127.0.0.1:1/a/b/c/@Prop');
    assert.equal(sm.instrument.det.tprop.nexdatas_canfail, 'FAILED');
    assert.match(ours, /"value": 9007199254740993\b/);
    assert.deepEqual([sm.data.image, sm.instrument.det.ext], [{}, {}], 'links into a file not written yet');
    assert.deepEqual([sm.data.frames.shape, sm.data.frames_link], [[2, 2], undefined]);
    assert.match(ours, /"description": "\\u00dcn\\u00efcode \\u2713 title"/);
  } finally {
    t.cleanup();
  }
});

test('MetadataOutput "file": written at CloseEntry for each NXentry, with /nexus_logs in the file', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'tango_00003.nxs');
    const s = await newSession({ metadataOutput: 'file' });
    s.setFileName(file);
    await s.openFile();
    s.setXmlSettings(`<definition>
      <group type="NXentry" name="scan_3"><field name="title">first</field>
        <field name="x" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="x"/></datasource></field></group>
      <group type="NXentry" name="second"><field name="title">second</field></group>
      <group type="NXcollection" name="other"/>
    </definition>`);
    await s.openEntry();
    await s.record(JSON.stringify({ data: { x: 1.5 } }));
    await s.record(JSON.stringify({ data: { x: 2.5 } }));
    await s.closeEntry();
    // the files are there once CloseEntry returns, the data file still open
    for (const entry of ['scan_3', 'second']) assert.ok(existsSync(`${file}.${entry}.json`), entry);
    assert.ok(!existsSync(`${file}.other.json`), 'only NXentry groups');
    await s.closeFile();
    for (const entry of ['scan_3', 'second']) {
      const ours = JSON.parse(readFileSync(`${file}.${entry}.json`, 'utf8')) as Record<string, unknown>;
      const ref = JSON.parse(referenceScicatMetadata(file, entry)) as Record<string, unknown>;
      // without an end time both use the time they were made
      assert.match(String(ours.creationTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$/);
      assert.deepEqual({ ...ours, creationTime: 'now' }, { ...ref, creationTime: 'now' }, entry);
    }
    assert.equal(JSON.parse(readFileSync(`${file}.scan_3.json`, 'utf8')).description, 'first');
  } finally {
    t.cleanup();
  }
});
