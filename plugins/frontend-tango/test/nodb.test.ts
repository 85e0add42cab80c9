// The NXSDataWriter device without a database, driven by PyTango: scan sequence, states, errors,
// FAULT handling, Asynch commands, non-blocking long Records, several devices in one process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { haveH5py, h5get, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { havePyTango, py, serverPerFile, slowXml, XML_C1 } from './helpers.js';
import { CmdArgType, DevState, DeviceServer } from '@nxsw/tango-wire/server';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
let url1: string;
let url2: string;
const fx = serverPerFile(skip, {
  tmpPrefix: 'nxsw-tango-',
  args: ['--nodb', '--port', '0', '--device', 'test/nxsw/1', '--device', 'test/nxsw/2', '--publish-host', '127.0.0.1'],
  started: (srv) => {
    url1 = `tango://127.0.0.1:${srv.port}/test/nxsw/1#dbase=no`;
    url2 = `tango://127.0.0.1:${srv.port}/test/nxsw/2#dbase=no`;
  },
});
before(fx.setUp);
after(fx.tearDown);

/** every test starts from ON */
const reset = 'dev.Init()\n';

test('start() says how PyTango connects', { skip }, () => {
  assert.match(fx.server.description, /tango\.DeviceProxy\("tango:\/\/127\.0\.0\.1:\d+\/test\/nxsw\/1#dbase=no"\)/);
  assert.deepEqual(fx.server.urls, [url1, url2]);
});

test('the whole scan sequence: states after each command, the file read back with h5py', { skip }, async () => {
  const file = join(fx.dir, 'scan.nxs');
  const out = await py(url1, `${reset}
s = []
dev.FileName = ${JSON.stringify(file)}
s.append(st())
dev.OpenFile(); s.append(st())
dev.XMLSettings = ${JSON.stringify(XML_C1)}
dev.JSONRecord = '{"data": {}}'
dev.OpenEntry(); s.append(st())
for i in range(5):
    dev.Record(json.dumps({"data": {"c1": 1.5 + i}})); s.append(st())
dev.JSONRecord = '{"data": {"end_time": "now"}}'
dev.CloseEntry(); s.append(st())
dev.CloseFile(); s.append(st())
out["states"] = s
out["status"] = dev.status()
out["errors"] = dev.Errors
out["filename"] = dev.FileName
out["xml"] = dev.XMLSettings
`);
  assert.deepEqual(out.states, ['ON', 'OPEN', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'OPEN', 'ON']);
  assert.equal(out.status, 'Ready');
  assert.equal(out.errors, null, 'PyTango reads an empty spectrum as None');
  assert.equal(out.filename, file);
  assert.equal(out.xml, XML_C1);
  const f = readWithH5py(file);
  assert.deepEqual(h5get(f, 'entry1/c1').value, [1.5, 2.5, 3.5, 4.5, 5.5]);
  assert.equal(h5get(f, 'entry1').attrs.NX_class?.value, 'NXentry');
});

test('bad XML: DevFailed with the engine code, state unchanged; Record in the wrong state', { skip }, async () => {
  const out = await py(url1, `${reset}
out["xml_on"] = reason(setattr, dev, "XMLSettings", "<definition><group")
out["state_after_xml"] = st()
out["record_on"] = reason(dev.Record, '{"data": {"c1": 1}}')
out["state_after_record"] = st()
out["openentry_on"] = reason(dev.OpenEntry)
dev.FileName = ${JSON.stringify(join(fx.dir, 'badxml.nxs'))}
dev.OpenFile()
out["xml_open"] = reason(setattr, dev, "XMLSettings", "<definition><group name='x' type='NXentry'><field></group></definition>")
out["state_open"] = st()
out["record_open"] = reason(dev.Record, "")
out["state_open2"] = st()
out["errors"] = dev.Errors
out["bad_json"] = reason(setattr, dev, "JSONRecord", "{not json")
out["unknown_cmd"] = reason(dev.command_inout, "NoSuchCommand")
dev.CloseFile()
`);
  assert.equal(out.xml_on, 'CONFIG_SYNTAX');
  assert.equal(out.state_after_xml, 'ON');
  assert.equal(out.record_on, 'WRONG_STATE');
  assert.equal(out.state_after_record, 'ON', 'a command refused for its state leaves the state as it was');
  assert.equal(out.openentry_on, 'WRONG_STATE');
  assert.ok(typeof out.xml_open === 'string' && out.xml_open.startsWith('CONFIG_'), String(out.xml_open));
  assert.equal(out.state_open, 'OPEN');
  assert.equal(out.record_open, 'WRONG_STATE');
  assert.equal(out.state_open2, 'OPEN');
  assert.equal(out.errors, null, 'refused commands add nothing to Errors');
  assert.equal(out.bad_json, 'JSON_INVALID');
  assert.equal(out.unknown_cmd, 'API_CommandNotFound');
});

test('a failing non-canfail CLIENT source: FAULT, Errors filled, then only the recovery commands', { skip }, async () => {
  const file = join(fx.dir, 'fault.nxs');
  const out = await py(url1, `${reset}
dev.CanFail = False
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(XML_C1)}
dev.OpenEntry()
dev.Record('{"data": {"c1": 7.0}}')
out["record_missing"] = reason(dev.Record, '{"data": {"other": 1}}')
out["state"] = st()
out["status"] = dev.status()
out["errors"] = list(dev.Errors)
out["record_fault"] = reason(dev.Record, '{"data": {"c1": 1}}')
out["openentry_fault"] = reason(dev.OpenEntry)
out["xml_read_fault"] = reason(getattr, dev, "XMLSettings")
out["closeentry_fault"] = reason(dev.CloseEntry)
out["state_after_closeentry"] = st()
out["closefile_fault"] = reason(dev.CloseFile)
out["state_after_closefile"] = st()
dev.FileName = ${JSON.stringify(join(fx.dir, 'fault2.nxs'))}
out["openfile_fault"] = reason(dev.OpenFile)
out["state_after_openfile"] = st()
out["errors_after_openfile"] = dev.Errors
dev.CloseFile()
out["final"] = st()
`);
  assert.ok(typeof out.record_missing === 'string', 'the failing Record raises DevFailed');
  assert.equal(out.state, 'FAULT');
  assert.equal(out.status, 'Error');
  const errors = out.errors as string[];
  assert.equal(errors.length, 1);
  assert.match(errors[0], /c1/);
  assert.equal(out.record_fault, 'WRONG_STATE');
  assert.equal(out.openentry_fault, 'WRONG_STATE');
  assert.equal(out.xml_read_fault, null, 'XMLSettings can be read in FAULT');
  assert.equal(out.closeentry_fault, null);
  assert.equal(out.state_after_closeentry, 'FAULT', 'CloseEntry keeps FAULT');
  assert.equal(out.closefile_fault, null);
  assert.equal(out.state_after_closefile, 'FAULT', 'CloseFile keeps FAULT');
  assert.equal(out.openfile_fault, null);
  assert.equal(out.state_after_openfile, 'OPEN');
  assert.equal(out.errors_after_openfile, null, 'OpenFile clears Errors');
  assert.equal(out.final, 'ON');
  // the record before the failure is in the file
  assert.equal((h5get(readWithH5py(file), 'entry1/c1').value as number[])[0], 7);
});

test('the Asynch commands return at once and run in the background (State polled)', { skip }, async () => {
  const file = join(fx.dir, 'async.nxs');
  const out = await py(url1, `${reset}
s = []
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(XML_C1)}
out["record_async_open"] = reason(dev.RecordAsynch, '{"data": {"c1": 1}}')
dev.OpenEntryAsynch(); s.append(wait_not_running())
for i in range(4):
    dev.RecordAsynch(json.dumps({"data": {"c1": 10.0 + i}})); s.append(wait_not_running())
dev.CloseEntryAsynch(); s.append(wait_not_running())
dev.CloseFile(); s.append(st())
out["states"] = s
`);
  assert.equal(out.record_async_open, 'WRONG_STATE', 'a wrong-state Asynch call fails at once');
  assert.deepEqual(out.states, ['EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'OPEN', 'ON']);
  assert.deepEqual(h5get(readWithH5py(file), 'entry1/c1').value, [10, 11, 12, 13]);
});

test('a long Record does not block the server: State and Status answer while it runs', { skip }, async () => {
  const file = join(fx.dir, 'slow.nxs');
  const out = await py(url1, `${reset}
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(slowXml(2500))}
dev.OpenEntry()
t0 = time.time()
dev.RecordAsynch("")
out["returned_after"] = time.time() - t0
t1 = time.time()
out["state_during"] = st()
out["status_during"] = dev.status()
out["state_latency"] = time.time() - t1
out["record_during"] = reason(dev.Record, "")
out["final"] = wait_not_running()
# a synchronous long Record, watched by a second client polling State until it sees RUNNING
import subprocess
watch = "import sys, time, tango\\nd = tango.DeviceProxy(sys.argv[1])\\nend = time.time() + 20\\nwhile time.time() < end:\\n    if str(d.state()) == 'RUNNING':\\n        print(time.time()); break\\n    time.sleep(0.02)\\n"
watcher = subprocess.Popen([sys.executable, "-c", watch, sys.argv[1]], stdout=subprocess.PIPE)
time.sleep(0.3)
dev.set_timeout_millis(20000)
t0 = time.time()
dev.Record("")
t1 = time.time()
seen = watcher.communicate()[0].decode().strip()
out["watcher_saw_running_during_record"] = bool(seen) and t0 <= float(seen) <= t1
dev.CloseEntry()
dev.CloseFile()
`);
  assert.ok((out.returned_after as number) < 0.5, `RecordAsynch returned after ${String(out.returned_after)} s`);
  assert.equal(out.state_during, 'RUNNING');
  assert.equal(out.status_during, 'Writing ...');
  assert.ok((out.state_latency as number) < 0.5, 'State answers at once while writing');
  assert.equal(out.record_during, 'WRONG_STATE');
  assert.equal(out.final, 'EXTRACT');
  assert.equal(out.watcher_saw_running_during_record, true, 'another client sees RUNNING while a synchronous Record runs');
  assert.deepEqual(h5get(readWithH5py(file), 'entry1/s1').value, [1, 2]);
});

test('several devices in one process are independent writers', { skip }, async () => {
  const out = await py(url1, `${reset}
dev2 = tango.DeviceProxy(${JSON.stringify(url2)})
dev2.Init()
dev.FileName = ${JSON.stringify(join(fx.dir, 'multi1.nxs'))}
dev.OpenFile()
out["dev1"] = st()
out["dev2"] = str(dev2.state())
dev2.FileName = ${JSON.stringify(join(fx.dir, 'multi2.nxs'))}
out["dev1_file"] = dev.FileName
dev2.OpenFile(); dev2.XMLSettings = ${JSON.stringify(XML_C1)}; dev2.OpenEntry()
out["dev2_after"] = str(dev2.state())
out["dev1_after"] = st()
dev2.Record('{"data": {"c1": 2.5}}'); dev2.CloseEntry(); dev2.CloseFile()
dev.CloseFile()
`);
  assert.equal(out.dev1, 'OPEN');
  assert.equal(out.dev2, 'ON');
  assert.equal(out.dev1_file, join(fx.dir, 'multi1.nxs'));
  assert.equal(out.dev2_after, 'EXTRACT');
  assert.equal(out.dev1_after, 'OPEN');
  assert.deepEqual(h5get(readWithH5py(join(fx.dir, 'multi2.nxs')), 'entry1/c1').value, [2.5]);
});

test('generic Tango behaviour: attribute config, wildcard list, types, admin device', { skip }, async () => {
  const out = await py(url1, `${reset}
cfg = dev.get_attribute_config("Errors")
out["errors_format"] = str(cfg.data_format)
out["errors_type"] = cfg.data_type
out["errors_max"] = cfg.max_dim_x
out["xml_level"] = str(dev.get_attribute_config("XMLSettings").disp_level)
out["canfail_type"] = dev.get_attribute_config("CanFail").data_type
out["steps_writable"] = str(dev.get_attribute_config("StepsPerFile").writable)
out["fileid_write"] = reason(dev.write_attribute, "CurrentFileId", 3)
dev.StepsPerFile = 4
out["steps"] = dev.read_attribute("StepsPerFile").w_value
dev.StepsPerFile = 0
out["record_cmd"] = [str(dev.command_query("Record").in_type), str(dev.command_query("Record").out_type)]
out["state_cmd"] = str(dev.command_inout("State"))
out["status_cmd"] = dev.command_inout("Status")
out["missing_attr"] = reason(dev.read_attribute, "NoSuchAttr")
out["adm"] = dev.adm_name()
adm = tango.DeviceProxy(dev.adm_name())
out["classes"] = list(adm.QueryClass())
out["wizard"] = list(adm.QueryWizardDevProperty("nxsdatawriter"))
out["class_wizard"] = list(adm.QueryWizardClassProperty("NXSDataWriter"))
out["wizard_unknown"] = reason(adm.QueryWizardDevProperty, "DServer")
out["devices"] = list(adm.QueryDevice())
dev.FileName = "x.nxs"
adm.DevRestart("test/nxsw/1")
out["after_restart"] = [st(), dev.FileName]
`);
  assert.equal(out.errors_format, 'SPECTRUM');
  assert.equal(out.errors_type, 8, 'DevString');
  assert.equal(out.errors_max, 1000);
  assert.equal(out.xml_level, 'EXPERT');
  assert.equal(out.canfail_type, 1, 'DevBoolean');
  assert.equal(out.steps_writable, 'READ_WRITE');
  assert.equal(out.fileid_write, 'API_AttrNotWritable');
  assert.equal(out.steps, 4);
  assert.deepEqual(out.record_cmd, ['DevString', 'DevVoid']);
  assert.equal(out.state_cmd, 'ON');
  assert.equal(out.status_cmd, 'Ready');
  assert.equal(out.missing_attr, 'API_AttrNotFound');
  assert.equal(out.adm, `tango://127.0.0.1:${fx.server.port}/dserver/NXSDataWriter/nodb#dbase=no`);
  assert.deepEqual(out.classes, ['NXSDataWriter']);
  // the reference's seven properties as its PyTango server lists them, then nxsw's own
  assert.deepEqual((out.wizard as string[]).slice(0, 21), [
    'NumberOfThreads', 'maximal number of threads', '100', 'MaxRecordRuntime', 'maximal runtime for a record command in seconds', '0.0',
    'MaxElementRuntime', 'maximal runtime for a thread element in seconds', '0.0', 'Writer', 'writer module', '',
    'DefaultCanFail', 'Default value of CanFail attribute', 'True', 'AddingLogs', 'Add XML logs', 'True', 'MetadataOutput', 'metadata output', '']);
  assert.deepEqual((out.wizard as string[]).filter((_, i) => i % 3 === 0).slice(7), ['PythonInterpreter', 'NXDLStrict', 'NXDLDirectory']);
  assert.deepEqual(out.class_wizard, []);
  assert.equal(out.wizard_unknown, 'API_ClassNotFound');
  assert.deepEqual(out.devices, ['NXSDataWriter::test/nxsw/1', 'NXSDataWriter::test/nxsw/2']);
  assert.deepEqual(out.after_restart, ['ON', ''], 'DevRestart gives the device a fresh engine');
});

test('without a database, events work as with cppTango: names carry #dbase=no, callbacks get State changes', { skip }, async () => {
  const out = await py(url2, `${reset}
values = []
eid = dev.subscribe_event("State", tango.EventType.CHANGE_EVENT, lambda e: values.append(None if e.err else str(e.attr_value.value)))
adm = tango.DeviceProxy(dev.adm_name())
r = adm.command_inout("ZmqEventSubscriptionChange", ["test/nxsw/2", "State", "subscribe", "change", "5"])
out["topic"] = r[1][2]
out["heartbeat"] = r[1][3]
dev.FileName = ${JSON.stringify(join(fx.dir, 'nodb-events.nxs'))}
dev.OpenFile()
time.sleep(0.5)
dev.CloseFile()
time.sleep(0.5)
dev.unsubscribe_event(eid)
out["values"] = values
`);
  assert.equal(out.topic, `tango://127.0.0.1:${fx.server.port}/test/nxsw/2/state#dbase=no.idl5_change`);
  assert.equal(out.heartbeat, `tango://127.0.0.1:${fx.server.port}/dserver/nxsdatawriter/nodb#dbase=no`);
  assert.deepEqual(out.values, ['ON', 'OPEN', 'ON']);
});

test('polling without a database: failed reads sit in the history between good ones, in order', { skip }, async () => {
  // The ring keeps the last 10 readings; how many fall in each phase depends on how long OpenEntry
  // takes on a loaded machine, so each reading is judged by its own time against the phase
  // boundaries the client saw, not by its position.
  const out = await py(url2, `${reset}
dev.poll_attribute("XMLSettings", 100)
dev.FileName = ${JSON.stringify(join(fx.dir, 'poll-history.nxs'))}
dev.XMLSettings = ${JSON.stringify(XML_C1)}
dev.OpenFile(); time.sleep(0.3)
t_entry_called = time.time(); dev.OpenEntry(); t_entry_done = time.time()
time.sleep(0.35)   # XMLSettings cannot be read in EXTRACT
t_close_called = time.time(); dev.CloseEntry(); t_close_done = time.time()
time.sleep(0.35)
dev.CloseFile()
h = dev.attribute_history("XMLSettings", 10)
dev.stop_poll_attribute("XMLSettings")
out["bounds"] = [t_entry_called, t_entry_done, t_close_called, t_close_done]
out["history"] = [[x.get_date().totime(), "failed:" + x.get_err_stack()[0].reason if x.has_failed else ("xml" if x.value == ${JSON.stringify(XML_C1)} else x.value)] for x in h]
`);
  const [entryCalled, entryDone, closeCalled, closeDone] = out.bounds as number[];
  const history = out.history as [number, string][];
  const shown = history.map(([t, what]) => `${(t - entryCalled).toFixed(3)}:${what}`).join(' ');
  const times = history.map(([t]) => t);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), `the history is oldest first: ${shown}`);
  for (const [t, what] of history) {
    if (t > entryDone && t < closeCalled) assert.equal(what, 'failed:API_AttrNotAllowed', `a reading in EXTRACT fails: ${shown}`);
    else if (t < entryCalled || t > closeDone) assert.equal(what, 'xml', `a reading outside EXTRACT holds the XML: ${shown}`);
    else assert.ok(what === 'xml' || what === 'failed:API_AttrNotAllowed', `a reading while the state changes is one or the other: ${shown}`);
  }
  const kinds = history.map(([, what]) => what).join(' ');
  assert.match(kinds, /failed:API_AttrNotAllowed( xml)+$/, `good readings follow the failed ones: ${shown}`);
});

test('a device:: logging target gets Log commands, as Astor\'s LogViewer does', { skip }, async () => {
  const records: string[][] = [];
  const viewer = new DeviceServer({ serverName: `LogViewer/t${process.pid}`, port: 0, listenHost: '127.0.0.1', publishHost: '127.0.0.1', events: false });
  viewer.add({
    name: 'test/logviewer/1', className: 'LogConsumer', state: () => DevState.ON, status: () => 'ready', attributes: () => [],
    commands: () => [{ name: 'Log', in: CmdArgType.DevVarStringArray, out: CmdArgType.DevVoid, execute: (a) => { records.push(a as string[]); } }],
  });
  const port = await viewer.listen();
  try {
    await py(url2, `${reset}
adm = tango.DeviceProxy(dev.adm_name())
adm.AddLoggingTarget(["test/nxsw/2", "device::tango://127.0.0.1:${port}/test/logviewer/1#dbase=no"])
adm.SetLoggingLevel([[5], ["test/nxsw/2"]])
dev.FileName = ${JSON.stringify(join(fx.dir, 'logviewer.nxs'))}
dev.OpenFile()
dev.CloseFile()
adm.RemoveLoggingTarget(["test/nxsw/2", "device::*"])
adm.SetLoggingLevel([[0], ["test/nxsw/2"]])
time.sleep(0.3)
`);
    assert.deepEqual(records.map((r) => r.slice(1)), [
      ['DEBUG', 'test/nxsw/2', 'test/nxsw/2: In OpenFile()', '', 'main'],
      ['DEBUG', 'test/nxsw/2', 'test/nxsw/2: In CloseFile()', '', 'main'],
    ]);
    assert.ok(Math.abs(Number(records[0][0]) - Date.now()) < 60_000, 'the first field is the time in ms');
  } finally {
    await viewer.close();
  }
});
