// Python decoder classes named in the global JSON "decoders", for DevEncoded values of a real
// device (a PyTango device server without a database), files read by h5py; the reference's
// built-in class paths still mean nxsw's decoders; and PYEVAL syntax errors found before the
// scan: `nxsw check` fails on them, XMLSettings warns and keeps the reference's read-time failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, Kernel, silentLogger, type DataSourceType, type Decoder, type FrontEnd, type RunningFrontEnd } from '@nxsw/core';
import { readWithH5py, h5get, haveH5py, serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { havePyTango, startPyTangoServer } from '@nxsw/tango-wire/testkit';
import { REPO, newSession, runScan, sharedKernel, tempDir } from './scan.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
const h5skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');
const DEVICE = `test/nxswdecoders/${process.pid}`;
const CLI = join(REPO, 'core/dist/src/cli/main.js');
const execFileAsync = promisify(execFile);

/** a detector whose DevEncoded attributes carry words and text in the beamline's own formats */
const SERVER = `
import struct
from tango import DevEncoded
from tango.server import Device, attribute, run

class EncodedDetector(Device):
    @attribute(dtype=DevEncoded)
    def counts(self):
        return 'WORDS', struct.pack('<3I', 1, 2, 4294967295)

    @attribute(dtype=DevEncoded)
    def label(self):
        return 'LATIN', 'Größe'.encode('latin-1')

if __name__ == '__main__':
    run((EncodedDetector,))
`;

/** the beamline's decoder classes, as the reference's DecoderPool takes them */
const DECODERS = `
import struct
import numpy

class Words(object):
    def __init__(self):
        self.name, self.format, self.dtype, self.data, self.frames = "WORDS", None, None, None, 0
    def load(self, data):
        self.format, self.data = data[0], data[1]
        self.frames += 1
    def shape(self):
        return [len(self.data) // 4, 0]
    def decode(self):
        self.dtype = "uint32"
        # a list of Python ints: dtype says what they are; the frame counter shows the one instance
        return [v + self.frames - 1 for v in struct.unpack("<%dI" % (len(self.data) // 4), self.data)[:2]]

class Latin1(object):
    """UTF8-style: returns bytes that mean a string"""
    def __init__(self):
        self.name, self.format, self.dtype, self.data = "LATIN", None, "string", None
    def load(self, data):
        self.format, self.data = data
    def shape(self):
        return [1, 0]
    def decode(self):
        return self.data.decode("latin-1").upper().encode("utf-8")

class NoDtype(object):
    name, format = "NODTYPE", None
    def load(self, data):
        pass
    def shape(self):
        return [1, 0]
    def decode(self):
        return 1
`;

let server: { url: string; stop(): void } | undefined;
let url = '';
let dir: { dir: string; cleanup(): void } | undefined;

before(async () => {
  dir = tempDir();
  writeFileSync(join(dir.dir, 'nxsw_e2e_decoders.py'), DECODERS);
  // the worker inherits it: the beamline's module is importable there
  process.env.PYTHONPATH = [dir.dir, process.env.PYTHONPATH].filter(Boolean).join(':');
  if (skip) return;
  server = await startPyTangoServer(dir.dir, 'EncodedDetector', SERVER, DEVICE);
  url = server.url;
});

after(() => {
  server?.stop();
  dir?.cleanup();
});

const tango = (record: string, encoding: string) =>
  `<datasource type="TANGO"><device name="${url}" member="attribute" encoding="${encoding}"/><record name="${record}"/></datasource>`;

test('Python decoder classes from the JSON "decoders" decode a device\'s DevEncoded values; h5py reads them', { skip, timeout: 60_000 }, async () => {
  const file = join(dir!.dir, 'decoded.nxs');
  const warnings: string[] = [];
  const { recordErrors } = await runScan({
    session: { log: { ...silentLogger, warn: (m: string) => warnings.push(m) } },
    fileName: file,
    xml: `<definition><group type="NXentry" name="entry"><group type="NXdetector" name="det">
      <field name="counts" type="NX_UINT32"><dimensions rank="1"><dim index="1" value="2"/></dimensions><strategy mode="STEP"/>${tango('counts', 'MYWORDS')}</field>
      <field name="label" type="NX_CHAR"><strategy mode="INIT"/>${tango('label', 'MYTEXT')}</field>
      <field name="broken" type="NX_INT32"><strategy mode="INIT" canfail="true"/>${tango('counts', 'BAD')}</field>
    </group></group></definition>`,
    global: { decoders: { MYWORDS: 'nxsw_e2e_decoders.Words', MYTEXT: 'nxsw_e2e_decoders.Latin1', BAD: 'nxsw_e2e_decoders.NoDtype' } },
    records: [{}, {}],
  });
  assert.deepEqual(recordErrors, []);
  const det = h5get(readWithH5py(file), 'entry/det');
  const counts = h5get(det, 'counts');
  assert.equal(counts.dtype, 'uint32');
  // one instance per label for the session: its frame counter goes on
  assert.deepEqual(counts.value, [[1, 2], [2, 3]]);
  assert.equal(h5get(det, 'label').value, 'GRÖSSE');
  const broken = h5get(det, 'broken');
  assert.equal(broken.attrs.nexdatas_canfail!.value, 'FAILED');
  assert.match(String(broken.attrs.nexdatas_canfail_error!.value), /the decoder class nxsw_e2e_decoders\.NoDtype \(encoding 'BAD'\) has no dtype/);
  // only a canfail field names BAD: OpenEntry warns of it and goes on, as the reference goes on
  assert.deepEqual(warnings.filter((w) => w.startsWith('OpenEntry')), ["OpenEntry: the decoder class nxsw_e2e_decoders.NoDtype (encoding 'BAD') has no dtype (a decoder needs load, name, shape, decode, dtype, format) (the element naming it says canfail=\"true\": the reads will fail with the canfail markers)"]);
});

test('a Python decoder class that cannot be made fails OpenEntry, before anything of the entry is written, naming label and class at the <device>', { skip, timeout: 60_000 }, async () => {
  const file = join(dir!.dir, 'refused.nxs');
  const s = await newSession();
  s.setFileName(file);
  await s.openFile();
  s.setXmlSettings(`<definition><group type="NXentry" name="entry">
      <field name="counts" type="NX_UINT32"><dimensions rank="1"><dim index="1" value="2"/></dimensions><strategy mode="STEP"/>${tango('counts', 'MYWORDS')}</field>
      <field name="broken" type="NX_UINT32"><dimensions rank="1"><dim index="1" value="2"/></dimensions><strategy mode="STEP"/>
        ${tango('counts', 'BAD')}</field></group></definition>`);
  const classes = { MYWORDS: 'nxsw_e2e_decoders.Words', BAD: 'nxsw_e2e_decoders.NoDtype' };
  s.setJsonRecord(JSON.stringify({ decoders: classes }));
  await assert.rejects(s.openEntry(), (e: unknown) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG'
    && /^the decoder class nxsw_e2e_decoders\.NoDtype \(encoding 'BAD'\) has no dtype \(a decoder needs load, name, shape, decode, dtype, format\) \(line 4, column \d+, at .*device/.test(e.message));
  assert.equal(s.state, 'FAULT');
  await s.closeFile();
  assert.deepEqual(Object.keys(readWithH5py(file).children).filter((k) => k !== 'nexus_logs'), []);
  // a class the client corrects: the same session writes the scan
  await s.init();
  await s.openFile();
  s.setJsonRecord(JSON.stringify({ decoders: { ...classes, BAD: 'nxsw_e2e_decoders.Words' } }));
  await s.openEntry();
  await s.record();
  await s.closeFile();
  const entry = h5get(readWithH5py(file), 'entry');
  assert.deepEqual(h5get(entry, 'counts').value, [[1, 2]]);
  assert.deepEqual(h5get(entry, 'broken').value, [[1, 2]]);
});

test('the reference\'s built-in decoder class paths still mean nxsw\'s own decoders (nxswriter is not importable here)', { skip, timeout: 60_000 }, async () => {
  const file = join(dir!.dir, 'builtin.nxs');
  const { recordErrors } = await runScan({
    fileName: file,
    xml: `<definition><group type="NXentry" name="entry">
      <field name="words" type="NX_UINT32"><dimensions rank="1"/><strategy mode="STEP"/>${tango('counts', 'REFWORDS')}</field></group></definition>`,
    global: { decoders: { REFWORDS: 'nxswriter.DecoderPool.UINT32decoder' } },
    records: [{}],
  });
  assert.deepEqual(recordErrors, []);
  const words = h5get(readWithH5py(file), 'entry/words');
  assert.equal(words.dtype, 'uint32');
  assert.deepEqual(words.value, [[1, 2, 4294967295]]);
});

const BAD_SCRIPT = `<definition><group type="NXentry" name="entry1">
<field name="ok" type="NX_INT64"><strategy mode="INIT"/><datasource type="PYEVAL"><result name="r">ds.r = sum(i for i in range(4))</result></datasource></field>
<field name="bad" type="NX_INT64"><strategy mode="INIT" canfail="true"/><datasource type="PYEVAL"><result name="r">
x = 1
ds.r = [x for x in</result></datasource></field>
</group></definition>`;

test('nxsw check fails on a PYEVAL syntax error, located at the <result>, with Python\'s line and message', { skip: h5skip, timeout: 60_000 }, () => {
  const cfg = join(dir!.dir, 'bad-script.xml');
  writeFileSync(cfg, BAD_SCRIPT);
  const r = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'check', cfg], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /DATASOURCE_CONFIG.*the PYEVAL script at line 3 of .*result\[r\] does not compile: SyntaxError: .* \(script line 2\) \(line 3, column \d+/);
  writeFileSync(cfg, BAD_SCRIPT.replace('ds.r = [x for x in', 'ds.r = [x for x in (1, 2)]'));
  const good = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'check', cfg], { cwd: REPO, encoding: 'utf8' });
  assert.equal(good.status, 0, good.stderr);
});

test('XMLSettings (the device path) accepts a PYEVAL syntax error with a warning; the read fails as in the reference (canfail markers)', { skip: h5skip, timeout: 60_000 }, async () => {
  const warnings: string[] = [];
  const s = await newSession({ log: { ...silentLogger, warn: (m: string) => warnings.push(m) } });
  await s.writeXmlSettings(BAD_SCRIPT);
  assert.equal(s.xmlSettings, BAD_SCRIPT);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^XMLSettings: the PYEVAL script at line 3 of .* does not compile: SyntaxError: .* \(script line 2\) \(line 3, column \d+.*\); the configuration is accepted/);
  const file = join(dir!.dir, 'accepted.nxs');
  s.setFileName(file);
  await s.openFile();
  await s.openEntry();
  await s.closeEntry();
  await s.closeFile();
  const e = h5get(readWithH5py(file), 'entry1');
  assert.deepEqual([h5get(e, 'ok').value].flat(), [6]);
  assert.equal(h5get(e, 'bad').attrs.nexdatas_canfail!.value, 'FAILED');
  assert.match(String(h5get(e, 'bad').attrs.nexdatas_canfail_error!.value), /does not compile: SyntaxError/);
});

test('nxsw write warns of a PYEVAL syntax error before the scan, located, and writes the file: exit 0 with canfail, 1 without (the read fails as today)', { skip: h5skip, timeout: 90_000 }, () => {
  const cfg = join(dir!.dir, 'write-bad-script.xml');
  writeFileSync(cfg, BAD_SCRIPT);
  const file = join(dir!.dir, 'write-canfail.nxs');
  const r = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'write', cfg, '--output', file, '--json'], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const located = /the PYEVAL script at line 3 of .*result\[r\] does not compile: SyntaxError: .* \(script line 2\) \(line 3, column \d+/;
  const warning = r.stderr.split('\n').find((l) => l.startsWith(`warning: ${cfg}: the PYEVAL script`));
  assert.ok(warning, r.stderr);
  assert.match(warning, located);
  assert.match(warning, /the configuration is accepted, and reads of this datasource will fail$/);
  const summary = JSON.parse(r.stdout) as { ok: boolean; files: string[]; warnings: string[] };
  assert.deepEqual([summary.ok, summary.files, summary.warnings.length], [true, [file], 1]);
  assert.match(summary.warnings[0]!, located);
  const e = h5get(readWithH5py(file), 'entry1');
  assert.deepEqual([h5get(e, 'ok').value].flat(), [6]);
  assert.equal(h5get(e, 'bad').attrs.nexdatas_canfail!.value, 'FAILED');
  assert.match(String(h5get(e, 'bad').attrs.nexdatas_canfail_error!.value), /does not compile: SyntaxError/);

  // without canfail the read fails the job, as it did before the early check; the file stays readable
  writeFileSync(cfg, BAD_SCRIPT.replace('<strategy mode="INIT" canfail="true"/>', '<strategy mode="INIT"/>'));
  const strict = join(dir!.dir, 'write-strict.nxs');
  const f = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'write', cfg, '--output', strict], { cwd: REPO, encoding: 'utf8' });
  assert.equal(f.status, 1, f.stderr);
  assert.match(f.stderr, new RegExp(`warning: ${cfg}: ${located.source}`));
  assert.match(f.stderr, /nxsw: error \[ACQUISITION_FAILED\]: Problems in storing data: .*\/entry1:NXentry\/bad.*does not compile: SyntaxError/);
  assert.equal(h5get(readWithH5py(strict), 'entry1').kind, 'group');
});

test('the NXSDataWriter device: writing XMLSettings with a PYEVAL syntax error succeeds for PyTango, logs the warning, and the scan writes the canfail markers', { skip, timeout: 90_000 }, async () => {
  const warnings: string[] = [];
  const installed = await sharedKernel();
  const kernel = Kernel.withExtensions(['datasource', 'sink', 'tag', 'decoder'].flatMap((k) => installed.list(k)), { ...silentLogger, warn: (m: string) => warnings.push(m) });
  const frontEnd = installed.list<FrontEnd>('frontend').find((f) => f.name === 'tango')!;
  const running: RunningFrontEnd = await frontEnd.start(kernel, ['--nodb', '--port', '0', '--device', `test/nxswpy/${process.pid}`, '--publish-host', '127.0.0.1']);
  try {
    const device = /tango\.DeviceProxy\("([^"]+)"\)/.exec(running.description)![1]!;
    const file = join(dir!.dir, 'device.nxs');
    // a PyTango client in another process (the device answers from this one's event loop)
    const client = `import json, sys, tango
inp = json.loads(sys.argv[1])
dev = tango.DeviceProxy(inp["device"])
dev.set_timeout_millis(10000)
dev.FileName = inp["file"]
dev.OpenFile()
dev.XMLSettings = inp["xml"]
out = {"state": str(dev.state()), "xml": dev.XMLSettings}
dev.OpenEntry()
dev.CloseEntry()
dev.CloseFile()
print(json.dumps(out))`;
    const { stdout } = await execFileAsync(SYSTEM_PYTHON, ['-c', client, JSON.stringify({ device, file, xml: BAD_SCRIPT })], { encoding: 'utf8' });
    const out = JSON.parse(stdout) as unknown;
    assert.deepEqual(out, { state: 'OPEN', xml: BAD_SCRIPT });
    assert.ok(warnings.some((w) => /^XMLSettings: the PYEVAL script at line 3 of .* does not compile: SyntaxError: .*; the configuration is accepted/.test(w)), warnings.join('\n'));
    const e = h5get(readWithH5py(file), 'entry1');
    assert.deepEqual([h5get(e, 'ok').value].flat(), [6]);
    assert.equal(h5get(e, 'bad').attrs.nexdatas_canfail!.value, 'FAILED');
  } finally {
    // not kernel.stop(): its extensions are the shared kernel's, which other tests keep using
    await running.stop();
  }
});

test('the NXSDataWriter device: OpenEntry with a decoder class that cannot be made fails for PyTango with a DevFailed naming label and class; corrected, the scan decodes', { skip, timeout: 90_000 }, async () => {
  const installed = await sharedKernel();
  const frontEnd = installed.list<FrontEnd>('frontend').find((f) => f.name === 'tango')!;
  const running: RunningFrontEnd = await frontEnd.start(installed, ['--nodb', '--port', '0', '--device', `test/nxswdec/${process.pid}`, '--publish-host', '127.0.0.1']);
  try {
    const device = /tango\.DeviceProxy\("([^"]+)"\)/.exec(running.description)![1]!;
    const file = join(dir!.dir, 'device-decoders.nxs');
    const xml = `<definition><group type="NXentry" name="entry"><field name="counts" type="NX_UINT32"><dimensions rank="1"><dim index="1" value="2"/></dimensions><strategy mode="STEP"/>${tango('counts', 'MYWORDS')}</field></group></definition>`;
    const client = `import json, sys, tango
inp = json.loads(sys.argv[1])
dev = tango.DeviceProxy(inp["device"])
dev.set_timeout_millis(10000)
dev.FileName = inp["file"]
dev.OpenFile()
dev.XMLSettings = inp["xml"]
dev.JSONRecord = json.dumps({"decoders": {"MYWORDS": "nxsw_e2e_decoders.NoDtype"}})
out = {}
try:
    dev.OpenEntry()
except tango.DevFailed as e:
    out["reason"], out["desc"] = e.args[0].reason, e.args[0].desc
out["state"] = str(dev.state())
dev.CloseFile()
dev.Init()
dev.FileName = inp["file"]
dev.OpenFile()
dev.XMLSettings = inp["xml"]
dev.JSONRecord = json.dumps({"decoders": {"MYWORDS": "nxsw_e2e_decoders.Words"}})
dev.OpenEntry()
dev.Record("{}")
dev.CloseEntry()
dev.CloseFile()
print(json.dumps(out))`;
    const { stdout } = await execFileAsync(SYSTEM_PYTHON, ['-c', client, JSON.stringify({ device, file, xml })], { encoding: 'utf8' });
    const out = JSON.parse(stdout) as { reason: string; desc: string; state: string };
    assert.equal(out.state, 'FAULT');
    assert.match(out.reason, /DATASOURCE_CONFIG/);
    assert.match(out.desc, /the decoder class nxsw_e2e_decoders\.NoDtype \(encoding 'MYWORDS'\) has no dtype \(a decoder needs load, name, shape, decode, dtype, format\) \(line 1, column \d+/);
    assert.deepEqual(h5get(readWithH5py(file), 'entry/counts').value, [[1, 2]]);
  } finally {
    await running.stop();
  }
});

test('a JSON label wins over a decoder of the same name, as in the reference; without a plugin that runs classes the error says so', { skip: h5skip, timeout: 60_000 }, async () => {
  // a datasource that hands fixed bytes to the decoder its <record> names, as a TANGO source does with DevEncoded
  const bytesSource: DataSourceType = {
    kind: 'datasource', name: 'BYTES',
    create: (el) => {
      const label = el.children[0]!.attributes.name!;
      return { describe: () => `BYTES ${label}`, read: async (ctx) => ctx.decoder(label).decode('', new TextEncoder().encode('grüße'), ctx) };
    },
  };
  const installed = await sharedKernel();
  const xml = `<definition><group type="NXentry" name="entry1">
    <field name="text"><strategy mode="INIT" canfail="true"/><datasource type="BYTES"><record name="UTF8"/></datasource></field></group></definition>`;
  const global = { decoders: { UTF8: 'nxsw_e2e_decoders.Latin1' } };
  const withPython = Kernel.withExtensions([...installed.list('datasource'), ...installed.list('sink'), ...installed.list('decoder'), bytesSource]);
  await runScan({ xml, fileName: join(dir!.dir, 'label.nxs'), global, session: { extensions: withPython } });
  // Latin1 reads the UTF-8 bytes as Latin-1 and upper-cases them: the Python class ran, not nxsw's UTF8
  assert.equal(h5get(readWithH5py(join(dir!.dir, 'label.nxs')), 'entry1/text').value, Buffer.from('grüße').toString('latin1').toUpperCase());
  const withoutPython = Kernel.withExtensions([...installed.list<DataSourceType>('datasource').filter((t) => !t.decoderFromClass), ...installed.list('sink'), ...installed.list('decoder'), bytesSource]);
  await runScan({ xml, fileName: join(dir!.dir, 'nopython.nxs'), global, session: { extensions: withoutPython } });
  const text = h5get(readWithH5py(join(dir!.dir, 'nopython.nxs')), 'entry1/text');
  // the marker is a Python literal of the pair: quotes inside it come escaped
  assert.match(String(text.attrs.nexdatas_canfail_error!.value).replaceAll("\\'", "'"), /the global JSON "decoders" maps encoding 'UTF8' to the class nxsw_e2e_decoders\.Latin1, but no installed plugin runs decoder classes \(install @nxsw\/source-python\)/);
});

test('OpenEntry makes the class decoders of the labels an encoding="..." names, before the INIT reads; labels named nowhere stay lazy; canfail="true" users only warn; a JSON without classes makes none', { skip: h5skip, timeout: 60_000 }, async () => {
  const events: string[] = [];
  // a datasource that hands fixed bytes to the decoder its <record> names (the <device encoding> only names it)
  const bytesSource: DataSourceType = {
    kind: 'datasource', name: 'BYTES',
    create: (el) => {
      const label = el.children.find((c) => c.name === 'record')!.attributes.name!;
      return {
        describe: () => `BYTES ${label}`,
        read: async (ctx) => {
          events.push(`read ${label}`);
          return ctx.decoder(label).decode('', new TextEncoder().encode('x'), ctx);
        },
      };
    },
  };
  // a type that runs decoder classes: "site.Bad..." cannot be made
  const runner: DataSourceType = {
    kind: 'datasource', name: 'CLASSES',
    create: () => { throw new Error('not used'); },
    decoderFromClass: (classPath: string, label: string): Decoder => {
      events.push(`made ${label}`);
      const bad = () => new ConfigError('DATASOURCE_CONFIG', `cannot import the decoder class ${classPath} (encoding '${label}'): no module named 'site'`);
      return {
        kind: 'decoder', name: label,
        prepare: async () => {
          events.push(`prepared ${label}`);
          if (classPath.startsWith('site.Bad')) throw bad();
        },
        decode: (_format, bytes) => {
          if (classPath.startsWith('site.Bad')) throw bad();
          return { type: 'string', shape: [], data: [`${label}:${new TextDecoder().decode(bytes)}`] };
        },
      };
    },
  };
  const installed = await sharedKernel();
  const extensions = Kernel.withExtensions([...installed.list('sink'), ...installed.list('decoder'), bytesSource, runner]);
  const bytes = (label: string, encoding?: string) => `<datasource type="BYTES">${encoding ? `<device encoding="${encoding}"/>` : ''}<record name="${label}"/></datasource>`;
  const xml = (softCanFail: boolean) => `<definition><group type="NXentry" name="entry1">
    <field name="enc" type="NX_CHAR"><strategy mode="INIT"/>${bytes('ENC', 'ENC')}</field>
    <field name="fmt" type="NX_CHAR"><strategy mode="INIT"/>${bytes('FMT')}</field>
    <field name="soft" type="NX_CHAR"><strategy mode="INIT"${softCanFail ? ' canfail="true"' : ''}/>
      ${bytes('SOFT', 'SOFT')}</field>
    <field name="text" type="NX_CHAR"><strategy mode="INIT"/>${bytes('TXT', 'TXT')}</field></group></definition>`;
  const decoders = { ENC: 'site.Enc', FMT: 'site.Fmt', SOFT: 'site.BadSoft', UNUSED: 'site.BadUnused', TXT: 'nxswriter.DecoderPool.UTF8decoder' };

  const warnings: string[] = [];
  const file = join(dir!.dir, 'prepared.nxs');
  await runScan({ xml: xml(true), fileName: file, global: { decoders }, session: { extensions, log: { ...silentLogger, warn: (m: string) => warnings.push(m) } } });
  // ENC and SOFT at OpenEntry, in document order, before any read; FMT (named by no encoding) at its read; UNUSED never
  assert.deepEqual(events, ['made ENC', 'prepared ENC', 'made SOFT', 'prepared SOFT', 'read ENC', 'read FMT', 'made FMT', 'read SOFT', 'read TXT']);
  assert.deepEqual(warnings.filter((w) => w.startsWith('OpenEntry')), ["OpenEntry: cannot import the decoder class site.BadSoft (encoding 'SOFT'): no module named 'site' (the element naming it says canfail=\"true\": the reads will fail with the canfail markers)"]);
  const e = h5get(readWithH5py(file), 'entry1');
  assert.deepEqual([h5get(e, 'enc').value, h5get(e, 'fmt').value, h5get(e, 'text').value], ['ENC:x', 'FMT:x', 'x']);
  assert.equal(h5get(e, 'soft').attrs.nexdatas_canfail!.value, 'FAILED');

  // without canfail="true" OpenEntry fails, located at the <device>, before the INIT reads and before
  // the entry is written; the global CanFail (a device's DefaultCanFail) does not soften it
  events.length = 0;
  const strictFile = join(dir!.dir, 'prepared-strict.nxs');
  const s = await newSession({ extensions });
  s.setFileName(strictFile);
  s.setCanFail(true);
  await s.openFile();
  s.setXmlSettings(xml(false));
  s.setJsonRecord(JSON.stringify({ decoders }));
  await assert.rejects(s.openEntry(), (err: unknown) => err instanceof ConfigError && err.code === 'DATASOURCE_CONFIG'
    && /^cannot import the decoder class site\.BadSoft \(encoding 'SOFT'\): no module named 'site' \(line 5, column \d+, at /.test(err.message));
  assert.deepEqual(events, ['made ENC', 'prepared ENC', 'made SOFT', 'prepared SOFT']);
  await s.closeFile();
  assert.deepEqual(Object.keys(readWithH5py(strictFile).children).filter((k) => k !== 'nexus_logs'), []);

  // a JSON that maps labels to nxsw's own decoders only: no class is made
  events.length = 0;
  await runScan({
    xml: `<definition><group type="NXentry" name="entry1"><field name="text" type="NX_CHAR"><strategy mode="INIT"/>${bytes('TXT', 'TXT')}</field></group></definition>`,
    fileName: join(dir!.dir, 'no-classes.nxs'), global: { decoders: { TXT: 'nxswriter.DecoderPool.UTF8decoder' } }, session: { extensions },
  });
  assert.deepEqual(events, ['read TXT']);
});
