// EVAL scripts in a running device server, driven by PyTango: a script that hangs is stopped at
// the limit while every device keeps answering State, the killed value is canfail-filled in its
// row, and the output-file API scripts get (commonblock.__nxroot__) works without handing them
// any of the server's objects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { haveH5py, h5get, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { havePyTango, py, serverPerFile } from './helpers.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
let url1: string;
let url2: string;
const fx = serverPerFile(skip, {
  tmpPrefix: 'nxsw-eval-',
  args: ['--nodb', '--port', '0', '--device', `test/nxsw_eval_${process.pid}/1`, '--device', `test/nxsw_eval_${process.pid}/2`, '--publish-host', '127.0.0.1'],
  started: (srv) => { [url1, url2] = srv.urls as [string, string]; },
});
before(fx.setUp);
after(fx.tearDown);

const HANG_AT_STEP_2 = 'if (commonblock.__counter__ === 2) Promise.resolve().then(function f() { while (true) {} }); ds.result = 1.5';
const FILE_API = `
const root = commonblock.__nxroot__;
const entry = root.group('entry1');
entry.createSoftLink('/entry1/c1', 'c1_link');
entry.setAttribute('eval_note', 'set by a script');
const viaMethod = root.keys.constructor.constructor('return typeof process')();
let viaError = 'none';
try { root.group('nope'); } catch (err) { viaError = err.constructor.constructor('return typeof process')() + ': ' + err.message; }
ds.result = [root.keys().join(','), entry.path, viaMethod, viaError].join(' | ');`;

const xml = '<definition><group type="NXentry" name="entry1">'
  + '<field name="c1" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="c1"/></datasource></field>'
  + `<field name="hang" type="NX_FLOAT64"><strategy mode="STEP" canfail="true"/><datasource type="EVAL"><result>${HANG_AT_STEP_2}</result></datasource></field>`
  + `<field name="probe" type="NX_CHAR"><strategy mode="FINAL"/><datasource type="EVAL"><result>${FILE_API.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</result></datasource></field>`
  + '</group></definition>';

test('a hanging EVAL script: stopped at the limit, every device answers meanwhile, the row is canfail-filled', { skip }, async () => {
  const file = join(fx.dir, 'hang.nxs');
  const out = await py(url1, `
dev.Init()
other = tango.DeviceProxy(${JSON.stringify(url2)})
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(xml)}
dev.OpenEntry()
dev.Record(json.dumps({"data": {"c1": 1.0}}))
dev.RecordAsynch(json.dumps({"data": {"c1": 2.0}}))
lat = []
states = []
for i in range(5):
    t = time.time(); states.append(st()); str(other.state()); lat.append(time.time() - t)
    time.sleep(0.05)
out["states_during"] = states
out["max_latency"] = max(lat)
out["after"] = wait_not_running()
dev.Record(json.dumps({"data": {"c1": 3.0}}))
dev.CloseEntry()
dev.CloseFile()
`);
  assert.ok((out.states_during as string[]).includes('RUNNING'), `the device is RUNNING while the script hangs: ${String(out.states_during)}`);
  assert.ok((out.max_latency as number) < 0.5, `State of both devices answered within ${String(out.max_latency)} s`);
  assert.equal(out.after, 'EXTRACT');
  const f = readWithH5py(file);
  assert.deepEqual(h5get(f, 'entry1/c1').value, [1, 2, 3]);
  const hang = h5get(f, 'entry1/hang');
  assert.equal((hang.value as number[]).length, 3, 'the killed row is kept: the STEP fields stay aligned');
  assert.equal((hang.value as number[])[0], 1.5);
  assert.equal((hang.value as number[])[2], 1.5, 'the session got a fresh isolate after the kill');
  assert.equal(hang.attrs.nexdatas_canfail?.value, 'FAILED');
  assert.match(String(hang.attrs.nexdatas_canfail_error?.value), /ran longer than 1000 ms.*stopped/);
});

test('commonblock.__nxroot__ writes links and attributes through a copied API; its methods and errors reach no host object', { skip }, async () => {
  const file = join(fx.dir, 'nxroot.nxs');
  await py(url1, `
dev.Init()
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(xml)}
dev.OpenEntry()
dev.Record(json.dumps({"data": {"c1": 4.0}}))
dev.CloseEntry()
dev.CloseFile()
`);
  const f = readWithH5py(file);
  const [keys, path, viaMethod, viaError] = String(h5get(f, 'entry1/probe').value).split(' | ');
  assert.match(keys!, /entry1/);
  assert.equal(path, '/entry1');
  assert.equal(viaMethod, 'undefined');
  assert.equal(viaError, "undefined: no group 'nope' in /");
  const link = h5get(f, 'entry1/c1_link') as unknown as { kind: string; target: string; resolved?: { value: unknown } };
  assert.deepEqual([link.kind, link.target, link.resolved?.value], ['softlink', '/entry1/c1', [4]]);
  assert.equal(h5get(f, 'entry1').attrs.eval_note?.value, 'set by a script');
});
