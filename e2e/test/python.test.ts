// PYEVAL is Python: whole scans through the engine with the Python worker, the real nxstools on
// PYTHONPATH and its standard templates, every file checked with h5py.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SYSTEM_PYTHON, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { Kernel, NxswError, WriterSession, type SinkFactory } from '@nxsw/core';
import { REPO, newSession, runScan, tempDir } from './scan.js';

const NXSTOOLS = join(REPO, '..', '..', 'shared', 'reference', 'nxstools');
const NXSTOOLS_DIR = [NXSTOOLS, '/work/shared/reference/nxstools'].find((d) => {
  try {
    return readFileSync(join(d, 'nxstools', 'filewriter.py')).length > 0;
  } catch {
    return false;
  }
});
const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || serviceSkip('nxstools', NXSTOOLS_DIR !== undefined, 'the reference copy of nxstools at /work/shared/reference/nxstools');

// a Python datasource class of the beamline's own, importable by the worker
const classDir = mkdtempSync(join(tmpdir(), 'nxsw-pyclass-'));
writeFileSync(join(classDir, 'nxsw_site_sources.py'), `
import xml.etree.ElementTree as et

class Doubler(object):
    """reads a record like CLIENT and doubles it"""
    def setup(self, xml):
        self.key = et.fromstring(xml).find("record").get("name")
        self.data = {}
    def setJSON(self, globalJSON, localJSON=None):
        self.data = dict((globalJSON or {}).get("data", {}))
        self.data.update((localJSON or {}).get("data", {}))
    def isValid(self):
        return True
    def getData(self):
        return {"rank": "SCALAR", "value": self.data[self.key] * 2, "tangoDType": "DevDouble", "shape": [1, 0]}
`);
process.env.PYTHONPATH = [NXSTOOLS_DIR, classDir, process.env.PYTHONPATH].filter(Boolean).join(':');

/** runs a Python snippet with Debian's h5py and returns its JSON output */
function py(code: string, ...args: string[]): any {
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', code, ...args], { encoding: 'utf8' }));
}

const client = (name: string) => `<datasource type="CLIENT" name="${name}"><record name="${name}"/></datasource>`;

/** a standard nxstools datasource template with its placeholders filled; its inputs become CLIENT records */
function template(file: string, vars: { name: string; entry: string; fileName: string }): string {
  const text = readFileSync(join(NXSTOOLS_DIR!, 'nxstools', 'xmltemplates', file), 'utf8');
  const body = text.replace(/<\?xml[^>]*\?>/, '').replace(/<\/?definition>/g, '').trim();
  return body
    .replaceAll("$var.entryname#'$(__entryname__)'$var.serialno", vars.entry)
    .replaceAll('$var.filename', vars.fileName)
    .replaceAll('$(__insname__)', 'instrument')
    .replaceAll('$(name)', vars.name)
    .replace(/\$datasources\.(\w+)/g, (_, n: string) => client(n));
}

test('Python scripts over a scan: the common block and __counter__ across INIT, STEP and FINAL', { skip }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'counter.nxs');
    const xml = `<definition><group type="NXentry" name="entry1">
<field name="init" type="NX_CHAR"><strategy mode="INIT"/><datasource type="PYEVAL">${client('title')}<result name="r">
commonblock["seen"] = [commonblock["__counter__"]]
ds.r = "%s: %d words" % (ds.title.upper(), len(ds.title.split()))</result></datasource></field>
<field name="steps" type="NX_INT64"><strategy mode="STEP"/><dimensions rank="1"><dim index="1" value="2"/></dimensions><datasource type="PYEVAL">${client('x')}<result name="r">
commonblock["seen"].append(commonblock["__counter__"])
ds.r = [v * v for v in ds.x]</result></datasource></field>
<field name="final" type="NX_INT64"><strategy mode="FINAL"/><datasource type="PYEVAL"><result name="r">
commonblock["seen"].append(commonblock["__counter__"])
ds.r = commonblock["seen"]</result></datasource></field>
</group></definition>`;
    await runScan({ xml, fileName: file, global: { data: { title: 'pyeval is python' } }, records: [{ data: { x: [1, 2] } }, { data: { x: [3, 4] } }, { data: { x: [5, 6] } }] });
    const r = py('import h5py, json, sys; f = h5py.File(sys.argv[1]); e = f["entry1"]; print(json.dumps([e["init"][()].decode(), e["steps"][()].tolist(), e["final"][()].tolist()]))', file);
    assert.deepEqual(r, ['PYEVAL IS PYTHON: 3 words', [[1, 4], [9, 16], [25, 36]], [-1, 1, 2, 3, -2]]);
  } finally {
    t.cleanup();
  }
});

test('a script\'s exception: with canfail the field is filled and marked with the Python message and line; without, the Record fails with it', { skip }, async () => {
  const t = tempDir();
  try {
    const xml = `<definition><group type="NXentry" name="entry1"><field name="ratio" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="PYEVAL">${client('x')}<result name="r">
y = ds.x - 2
ds.r = 10.0 / y</result></datasource></field></group></definition>`;
    const file = join(t.dir, 'canfail.nxs');
    await runScan({ xml, fileName: file, canFail: true, records: [{ data: { x: 4 } }, { data: { x: 2 } }, { data: { x: 7 } }] });
    const r = py('import h5py, json, sys; d = h5py.File(sys.argv[1])["entry1/ratio"]; print(json.dumps([d[()].tolist(), d.attrs["nexdatas_canfail"], d.attrs["nexdatas_canfail_error"]]))', file);
    assert.deepEqual(r[0], [5, Number.MAX_VALUE, 2]);
    assert.equal(r[1], 'FAILED');
    assert.match(r[2], /ZeroDivisionError: float division by zero \(script line 2\)/);
    const strict = await runScan({ xml, fileName: join(t.dir, 'strict.nxs'), canFail: false, records: [{ data: { x: 2 } }] });
    assert.equal(strict.recordErrors.length, 1);
    assert.ok(strict.recordErrors[0] instanceof NxswError);
    assert.match((strict.recordErrors[0] as Error).message, /ZeroDivisionError: float division by zero \(script line 2\)/);
  } finally {
    t.cleanup();
  }
});

test('a Python datasource class named in the global JSON "datasources" runs in the worker', { skip }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'class.nxs');
    const xml = `<definition><group type="NXentry" name="entry1"><field name="twice" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="DOUBLE"><record name="x"/></datasource></field></group></definition>`;
    await runScan({ xml, fileName: file, global: { datasources: { DOUBLE: 'nxsw_site_sources.Doubler' } }, records: [{ data: { x: 1.25 } }, { data: { x: 4 } }] });
    assert.deepEqual(py('import h5py, json, sys; print(json.dumps(h5py.File(sys.argv[1])["entry1/twice"][()].tolist()))', file), [2.5, 8]);
    await assert.rejects(runScan({ xml, fileName: join(t.dir, 'missing.nxs'), global: { datasources: { DOUBLE: 'nxsw_site_sources.Missing' } }, records: [{ data: { x: 1 } }] })
      .then((r) => { if (r.recordErrors.length) throw r.recordErrors[0]; }), /cannot import nxsw_site_sources.Missing/);
  } finally {
    t.cleanup();
  }
});

test('nxstools templates: pilatus mxparameters_cb writes fields and units through __root__; lambda external_data links the detector file', { skip }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'scan_00012.nxs');
    const vars = { name: 'pilatus', entry: 'scan', fileName: file };
    const lvars = { name: 'lmbd', entry: 'scan', fileName: file };
    const xml = `<definition><group type="NXentry" name="scan"><group type="NXinstrument" name="instrument">
<group type="NXdetector" name="pilatus"><field name="mxparameters" type="NX_CHAR"><strategy mode="FINAL"/>${template('pilatus_mxparameters_cb.ds.xml', vars)}</field></group>
<group type="NXdetector" name="lmbd"/>
<link name="lmbd_m1">${template('lambda_external_data.ds.xml', lvars)}<strategy mode="FINAL"/></link>
</group></group></definition>`;
    // the detector's own file, where the lambda writes it: <scan name>/<detector>/<savefilename>.<postfix>
    mkdirSync(join(t.dir, 'scan_00012', 'lmbd'), { recursive: true });
    py('import h5py, numpy, sys, json\nwith h5py.File(sys.argv[1], "w") as f: f.create_dataset("entry/instrument/detector/data", data=numpy.arange(24, dtype="int32").reshape(2, 3, 4))\nprint("1")', join(t.dir, 'scan_00012', 'lmbd', 'm_00001.nxs'));
    const mx = '# Wavelength 1.03320 A\r\n# Detector_distance 0.32200 m\r\n# Beam_xy (1261.00, 1242.00) pixels\r\n# Filter_transmission 0.1000';
    await runScan({
      xml, fileName: file, records: [{}],
      final: { data: { pilatus_mxparameters: mx, lmbd_savefilename: 'm_00001', lmbd_saveallimages: 1, lmbd_framesperfile: 2, lmbd_framenumbers: 2, lmbd_filepostfix: 'nxs' } },
    });
    const r = py(`import h5py, json, sys
f = h5py.File(sys.argv[1])
d = f["scan/instrument/pilatus"]
out = {k: [float(d[k][()]), d[k].attrs.get("units")] for k in ("wavelength", "distance", "beam_center_x", "beam_center_y")}
link = f["scan/instrument"].get("lmbd_m1", getlink=True)
out["link"] = [type(link).__name__, link.filename, link.path]
out["data"] = f["scan/instrument/lmbd_m1/data"][()].tolist()
print(json.dumps(out))`, file);
    assert.deepEqual(r.wavelength, [1.0332, 'A']);
    assert.deepEqual(r.distance, [0.322, 'm']);
    assert.deepEqual(r.beam_center_x, [1261, 'pixels']);
    assert.deepEqual(r.beam_center_y, [1242, 'pixels']);
    assert.deepEqual(r.link, ['ExternalLink', 'scan_00012/lmbd/m_00001.nxs', '/entry/instrument/detector']);
    assert.deepEqual(r.data[1][2], [20, 21, 22, 23]);
  } finally {
    t.cleanup();
  }
});

/** whether the default sink stores virtual datasets (the native HDF5 sink does; h5wasm does not) */
async function defaultSinkHasVds(dir: string): Promise<{ has: boolean; name: string }> {
  const s = await newSession();
  const kernel = s.options.extensions;
  const sink = kernel.list<SinkFactory>('sink').find((x) => x.suffixes?.includes('.nxs')) ?? kernel.find<SinkFactory>('sink', 'HDF5')!;
  const f = await sink.open(join(dir, 'probe.nxs'), { mode: 'create' });
  const has = typeof f.root.createVirtualField === 'function';
  f.close();
  return { has, name: sink.name };
}

/**
 * Skips the test (true) when the default sink stores no virtual datasets. Under CI the default
 * sink must store them; a run that chose a sink explicitly (NXSW_CHOOSE) is covered by the
 * "through a sink without virtual datasets" test instead.
 */
async function skippedWithoutVds(ctx: TestContext, dir: string): Promise<boolean> {
  const { has, name } = await defaultSinkHasVds(dir);
  if (has) return false;
  const msg = `the default sink '${name}' does not implement createVirtualField (the native HDF5 sink does)`;
  if (process.env.CI === 'true' && !process.env.NXSW_CHOOSE) assert.fail(`${msg}; CI=true requires it`);
  ctx.skip(msg);
  return true;
}

/** lambda module files `names` in dir/<scan>/lmbd, 3 frames of 2x4 int32 each, the k-th offset by k * 100 */
function writeLambdaModules(dir: string, scan: string, names: string[]): void {
  mkdirSync(join(dir, scan, 'lmbd'), { recursive: true });
  for (const [k, name] of names.entries()) {
    py(`import h5py, numpy, sys\nwith h5py.File(sys.argv[1], "w") as f: f.create_dataset("entry/instrument/detector/data", data=(numpy.arange(24, dtype="int32") + ${k * 100}).reshape(3, 2, 4))\nprint(1)`, join(dir, scan, 'lmbd', `${name}.nxs`));
  }
}

function lambdaVdsScan(dir: string): { xml: string; file: string; records: unknown[]; final: unknown } {
  const file = join(dir, 'scan_00034.nxs');
  const vars = { name: 'lmbd', entry: 'scan', fileName: file };
  const xml = `<definition><group type="NXentry" name="scan"><group type="NXinstrument" name="instrument"><group type="NXdetector" name="lmbd">
<field name="savefilename" type="NX_CHAR"><strategy mode="STEP"/>${template('lambdavds_savefilename_cb.ds.xml', vars)}</field>
<field name="framenumbers" type="NX_INT"><strategy mode="STEP"/>${template('lambdavds_framenumbers_cb.ds.xml', vars)}</field>
<field name="trigger_mode" type="NX_CHAR"><strategy mode="FINAL"/>${template('lambdavds_triggermode_cb.ds.xml', vars)}</field>
</group></group></group></definition>`;
  // two module files of 3 frames 2x4 each, where the lambda writes them
  writeLambdaModules(dir, 'scan_00034', ['m_00001', 'm_00002']);
  return {
    xml, file,
    records: [{ data: { lmbd_savefilename: 'm_00001', lmbd_framenumbers: 3 } }, { data: { lmbd_savefilename: 'm_00002', lmbd_framenumbers: 3 } }],
    // the template lists savefilename and framenumbers among its inputs (their names occur in the script)
    final: { data: { lmbd_savefilename: 'm_00002', lmbd_framenumbers: 3, lmbd_triggermode: 0, lmbd_saveallimages: 1, lmbd_framesperfile: 3, lmbd_height: 2, lmbd_width: 4, lmbd_opmode: 24, lmbd_filepostfix: 'nxs' } },
  };
}

test('nxstools template lambdavds: a virtual dataset over the module files (h5py sees is_virtual and reads through it)', { skip }, async (ctx) => {
  const t = tempDir();
  try {
    if (await skippedWithoutVds(ctx, t.dir)) return;
    const scan = lambdaVdsScan(t.dir);
    const { recordErrors } = await runScan({ xml: scan.xml, fileName: scan.file, records: scan.records, final: scan.final });
    assert.deepEqual(recordErrors, []);
    const r = py(`import h5py, json, sys
d = h5py.File(sys.argv[1])["scan/instrument/lmbd/data"]
print(json.dumps([d.is_virtual, list(d.shape), str(d.dtype), d[()].tolist()]))`, scan.file);
    assert.equal(r[0], true);
    assert.deepEqual(r[1], [6, 2, 4]);
    assert.equal(r[2], 'int32');
    const frames = (k: number) => Array.from({ length: 3 }, (_, f) => Array.from({ length: 2 }, (_, y) => Array.from({ length: 4 }, (_, x) => k * 100 + f * 8 + y * 4 + x)));
    assert.deepEqual(r[3], [...frames(0), ...frames(1)]);
  } finally {
    t.cleanup();
  }
});

test('nxstools template lambdavdsnm: two modules side by side through unlimited mappings', { skip }, async (ctx) => {
  const t = tempDir();
  try {
    if (await skippedWithoutVds(ctx, t.dir)) return;
    const file = join(t.dir, 'scan_00056.nxs');
    // the template passes the instrument name as a Python expression (nxscreate fills it quoted)
    const ds = template('lambdavdsnm_triggermode_cb.ds.xml', { name: 'lmbd', entry: 'scan', fileName: file }).replace(', instrument)', ', "instrument")');
    const xml = `<definition><group type="NXentry" name="scan"><group type="NXinstrument" name="instrument"><group type="NXdetector" name="lmbd">
<field name="trigger_mode" type="NX_CHAR"><strategy mode="FINAL"/>${ds}</field></group></group></group></definition>`;
    writeLambdaModules(t.dir, 'scan_00056', ['m_00001_m1', 'm_00001_m2']);
    const final = { data: { lmbd_triggermode: 0, lmbd_translations: JSON.stringify({ m1: [0, 0, 0], m2: [0, 0, 4] }), lmbd_saveallimages: 1, lmbd_filepostfix: 'nxs', lmbd_framenumbers: 3, lmbd_height: 2, lmbd_width: 4, lmbd_opmode: 24, lmbd_savefilename: 'm_00001' } };
    const { recordErrors } = await runScan({ xml, fileName: file, records: [{}], final });
    assert.deepEqual(recordErrors, []);
    const r = py(`import h5py, json, sys
d = h5py.File(sys.argv[1])["scan/instrument/lmbd/data"]
print(json.dumps([d.is_virtual, list(d.shape), d[()].tolist()]))`, file);
    assert.equal(r[0], true);
    assert.deepEqual(r[1], [3, 2, 8]);
    const row = (f: number, y: number) => [...Array.from({ length: 4 }, (_, x) => f * 8 + y * 4 + x), ...Array.from({ length: 4 }, (_, x) => 100 + f * 8 + y * 4 + x)];
    assert.deepEqual(r[2], Array.from({ length: 3 }, (_, f) => [row(f, 0), row(f, 1)]));
  } finally {
    t.cleanup();
  }
});

test('lambdavds through a sink without virtual datasets: the FINAL read fails with a message naming the sink', { skip }, async (ctx) => {
  const t = tempDir();
  try {
    const { has, name } = await defaultSinkHasVds(t.dir);
    if (has) {
      ctx.skip(`the default sink '${name}' stores virtual datasets; the test above covers it`);
      return;
    }
    const scan = lambdaVdsScan(t.dir);
    await assert.rejects(runScan({ xml: scan.xml, fileName: scan.file, records: scan.records, final: scan.final, canFail: false }),
      new RegExp(`the sink '${name}' cannot store virtual datasets \\(it does not implement createVirtualField\\); /scan/instrument/lmbd/data`));
  } finally {
    t.cleanup();
  }
});

test('a hanging script: stopped at the time limit, the session keeps answering meanwhile, the next Record runs in a new worker', { skip }, async () => {
  const t = tempDir();
  const kernel = await Kernel.start({ cwd: REPO, pluginOptions: { '@nxsw/source-python': { scriptTimeoutMs: 1500 } } });
  try {
    const s = new WriterSession({ extensions: kernel });
    s.setFileName(join(t.dir, 'hang.nxs'));
    s.setCanFail(true);
    await s.openFile();
    s.setXmlSettings(`<definition><group type="NXentry" name="entry1"><field name="n" type="NX_INT32"><strategy mode="STEP"/><datasource type="PYEVAL">${client('hang')}<result name="r">
commonblock["n"] = commonblock.get("n", 0) + 1
while ds.hang:
    pass
ds.r = commonblock["n"]</result></datasource></field></group></definition>`);
    await s.openEntry();
    await s.record('{"data": {"hang": 0}}');
    await s.record('{"data": {"hang": 0}}');
    const started = performance.now();
    const hanging = s.record('{"data": {"hang": 1}}');
    // the event loop is free while the script spins in its own process
    await new Promise((r) => setTimeout(r, 100));
    // blocked would mean until the 1500 ms limit; the margin is for a loaded machine
    assert.ok(performance.now() - started < 1000, 'a timer fired late: the server was blocked');
    assert.equal(s.state, 'RUNNING');
    await hanging;
    assert.ok(performance.now() - started < 6000);
    await s.record('{"data": {"hang": 0}}');
    await s.closeEntry();
    await s.closeFile();
    const r = py('import h5py, json, sys; d = h5py.File(sys.argv[1])["entry1/n"]; print(json.dumps([d[()].tolist(), d.attrs["nexdatas_canfail_error"]]))', join(t.dir, 'hang.nxs'));
    assert.deepEqual(r[0], [1, 2, 2147483647, 1], 'the common block started again after the restart');
    assert.match(r[1], /ran longer than 1500 ms; the Python worker was restarted and the PYEVAL common block is lost/);
  } finally {
    await kernel.stop();
    t.cleanup();
  }
});

test('the interpreter on the command line: --plugin-option names it; a missing one is an error naming the setting', { skip }, () => {
  const t = tempDir();
  try {
    const cli = join(REPO, 'core/dist/src/cli/main.js');
    const xml = '<definition><group type="NXentry" name="entry1"><field name="v" type="NX_CHAR"><strategy mode="INIT"/><datasource type="PYEVAL"><result>import sys\nds.result = "%d.%d" % sys.version_info[:2]</result></datasource></field></group></definition>';
    const run = (python: string, out: string) => {
      const r = spawnSync(process.execPath, ['--no-node-snapshot', cli, 'write', '-', '--output', out, '--plugin-option', `@nxsw/source-python.python=${python}`], { input: xml, encoding: 'utf8' });
      return { code: r.status, err: r.stderr };
    };
    const bad = run('/nonexistent/python3', join(t.dir, 'bad.nxs'));
    assert.equal(bad.code, 1);
    assert.match(bad.err, /PYEVAL needs a Python 3 interpreter: '\/nonexistent\/python3' \(the option "python" of @nxsw\/source-python/);
    const good = run(SYSTEM_PYTHON, join(t.dir, 'good.nxs'));
    assert.equal(good.code, 0, good.err);
    assert.match(py('import h5py, json, sys; print(json.dumps(h5py.File(sys.argv[1])["entry1/v"][()].decode()))', join(t.dir, 'good.nxs')), /^3\.\d+$/);
  } finally {
    t.cleanup();
  }
});

test('no interpreter is an error at XMLSettings naming the setting (the device property PythonInterpreter); a valid one writes', { skip }, async () => {
  const t = tempDir();
  try {
    const xml = `<definition><group type="NXentry" name="entry1"><field name="v" type="NX_INT"><strategy mode="INIT"/><datasource type="PYEVAL"><result>ds.result = sum(range(5))</result></datasource></field></group></definition>`;
    const bad = await newSession({ sourceSettings: { python: '/opt/none/python3' } });
    assert.throws(() => bad.setXmlSettings(xml), (e: unknown) => e instanceof NxswError && e.code === 'DATASOURCE_CONFIG'
      && /PYEVAL needs a Python 3 interpreter: '\/opt\/none\/python3' \(the device property PythonInterpreter\).*line 1/.test(e.message));
    assert.equal(bad.xmlSettings, '');
    const file = join(t.dir, 'prop.nxs');
    await runScan({ xml, fileName: file, session: { sourceSettings: { python: SYSTEM_PYTHON } } });
    assert.deepEqual(py('import h5py, json, sys; print(json.dumps(int(h5py.File(sys.argv[1])["entry1/v"][()])))', file), 10);
  } finally {
    t.cleanup();
  }
});

test('a FINAL script reads back what the scan wrote: __nxroot__ dataset[()] and __root__ field.read()', { skip }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'readback.nxs');
    const xml = `<definition><group type="NXentry" name="entry1">
<field name="x" type="NX_FLOAT"><strategy mode="STEP"/>${client('x')}</field>
<field name="title" type="NX_CHAR"><strategy mode="INIT"/>${client('title')}</field>
<field name="summary" type="NX_CHAR"><strategy mode="FINAL"/><datasource type="PYEVAL"><result name="r">
x = commonblock["__nxroot__"]["entry1/x"][()]
title = commonblock["__root__"].open("entry1").open("title").read()
ds.r = "%s: n=%d max=%.1f" % (title, len(x), max(x))</result></datasource></field>
</group></definition>`;
    await runScan({ xml, fileName: file, global: { data: { title: 'scan 7' } }, records: [{ data: { x: 1.5 } }, { data: { x: 4.25 } }, { data: { x: 2 } }] });
    assert.equal(py('import h5py, json, sys; print(json.dumps(h5py.File(sys.argv[1])["entry1/summary"][()].decode()))', file), 'scan 7: n=3 max=4.2');
  } finally {
    t.cleanup();
  }
});
