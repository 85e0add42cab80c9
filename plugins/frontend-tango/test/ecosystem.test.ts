// The Tango ecosystem around the NXSDataWriter device, registered in the real Tango database and
// driven by PyTango: events over ZeroMQ (callbacks), polling and its history, memorized values
// and attribute configuration surviving a restart, locking from two clients, logging targets,
// the admin device's command set and the black box.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceSkip } from '@nxsw/core/testkit';
import type { Logger } from '@nxsw/core';
import { deleteServer, havePyTango, py, PY_REASON, serverPerFile, TANGO_HOST, tangoDbUp, tangoEnv, XML_C1 } from './helpers.js';

const env = tangoEnv;
const skip = serviceSkip('a Tango database with PyTango', tangoDbUp() && havePyTango(), `TANGO_HOST=${TANGO_HOST}; run scripts/tango-stack.sh start`);

const INSTANCE = `nxsweco${process.pid}`;
const SERVER = `NXSDataWriter/${INSTANCE}`;
const DEVICE = `test/nxsweco/${process.pid}`;
const warnings: string[] = [];
const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
const fx = serverPerFile(skip, { tmpPrefix: 'nxsw-tango-eco-', args: ['--instance', INSTANCE, '--device', DEVICE, '--tango-host', TANGO_HOST], cleanup: () => deleteServer(SERVER), log });
before(fx.setUp);
after(fx.tearDown);

const run = (body: string) => py(DEVICE, `dev.Init()\nadm = tango.DeviceProxy(dev.adm_name())\n${body}`, env);

test('State change events reach a PyTango callback within a second, without polling: OPEN, EXTRACT, FAULT', { skip }, async () => {
  const out = await run(`
events = []
def cb(e):
    events.append((time.time(), None if e.err else str(e.attr_value.value), e.errors[0].reason if e.err else None))
eid = dev.subscribe_event("State", tango.EventType.CHANGE_EVENT, cb)
names = []
eid2 = dev.subscribe_event("FileName", tango.EventType.CHANGE_EVENT, lambda e: names.append(None if e.err else e.attr_value.value))
def wait_for(value, since, timeout=1.0):
    end = since + timeout
    while time.time() < end:
        for t, v, err in events:
            if v == value and t >= since:
                return round(t - since, 3)
        time.sleep(0.005)
    return None
dev.CanFail = False
dev.FileName = ${JSON.stringify(join(fx.dir, 'events.nxs'))}
t = time.time(); dev.OpenFile(); out["open"] = wait_for("OPEN", t)
dev.XMLSettings = ${JSON.stringify(XML_C1)}
t = time.time(); dev.OpenEntry(); out["extract"] = wait_for("EXTRACT", t)
dev.Record('{"data": {"c1": 1.0}}')
# a failure in the background (no client call follows it): the device pushes FAULT by itself
t = time.time(); dev.RecordAsynch('{"data": {"other": 1}}'); out["fault"] = wait_for("FAULT", t)
dev.CloseEntry(); dev.CloseFile()
t = time.time(); dev.Init(); out["on"] = wait_for("ON", t)
time.sleep(0.3)
dev.unsubscribe_event(eid); dev.unsubscribe_event(eid2)
out["values"] = [v for _, v, _ in events]
out["errors"] = [e for _, _, e in events if e]
out["names"] = names
`);
  for (const k of ['open', 'extract', 'fault', 'on']) {
    assert.equal(typeof out[k], 'number', `${k}: no event within a second (${JSON.stringify(out.values)})`);
    assert.ok((out[k] as number) < 1, `${k} took ${String(out[k])} s`);
  }
  assert.deepEqual(out.errors, []);
  const values = out.values as string[];
  // the first callback is the value read at subscription; each change arrives once
  assert.equal(values[0], 'ON');
  assert.deepEqual(values.filter((v, i) => i === 0 || v !== values[i - 1]), values, 'no repeated value');
  for (const s of ['OPEN', 'EXTRACT', 'RUNNING', 'FAULT', 'ON']) assert.ok(values.includes(s), `${s} in ${values.join(',')}`);
  // the value at subscription, the write, and Init's reset
  assert.deepEqual(out.names, ['', join(fx.dir, 'events.nxs'), '']);
});

test('subscriptions cppTango refuses are refused with its reasons', { skip }, async () => {
  const out = await run(`
out["periodic"] = reason(dev.subscribe_event, "CurrentFileId", tango.EventType.PERIODIC_EVENT, lambda e: None)
out["missing"] = reason(dev.subscribe_event, "NoSuchAttribute", tango.EventType.CHANGE_EVENT, lambda e: None)
out["data_ready"] = reason(dev.subscribe_event, "StepsPerFile", tango.EventType.DATA_READY_EVENT, lambda e: None)
# the admin device pushes nothing: its State wants polling (Taurus then polls it); attr_conf is taken
out["admin_change"] = reason(adm.subscribe_event, "State", tango.EventType.CHANGE_EVENT, lambda e: None)
conf = []
cid = adm.subscribe_event("State", tango.EventType.ATTR_CONF_EVENT, lambda e: conf.append(e.err))
time.sleep(0.3)
adm.unsubscribe_event(cid)
out["admin_conf"] = conf
out["notifd"] = adm.command_inout("EventSubscriptionChange", [dev.name(), "State", "subscribe", "change"])
out["notifd_polling"] = reason(adm.command_inout, "EventSubscriptionChange", [dev.name(), "CurrentFileId", "subscribe", "periodic"])
r = adm.command_inout("ZmqEventSubscriptionChange", [dev.name(), "State", "subscribe", "change", "5"])
out["lvalue"] = [int(x) for x in r[0]]
out["svalue"] = list(r[1])
`);
  assert.equal(out.periodic, 'API_AttributePollingNotStarted');
  assert.equal(out.missing, 'API_AttrNotFound');
  assert.equal(out.data_ready, 'API_AttributeNotDataReadyEnabled');
  assert.equal(out.admin_change, 'API_AttributePollingNotStarted', 'as cppTango\'s admin device');
  assert.deepEqual(out.admin_conf, [false], 'the configuration at subscription, no error');
  assert.equal(out.notifd, 934, 'the notifd command: checks, then the library release, as cppTango 9.3 without a notifd');
  assert.equal(out.notifd_polling, 'API_AttributePollingNotStarted');
  assert.deepEqual((out.lvalue as number[]).slice(0, 2), [934, 5]);
  const sv = out.svalue as string[];
  assert.match(sv[0], /^tcp:\/\/[\d.]+:\d+$/);
  assert.match(sv[1], /^tcp:\/\/[\d.]+:\d+$/);
  assert.match(sv[2], new RegExp(`^tango://[^/]+:\\d+/${DEVICE}/state\\.idl5_change$`));
  // the heartbeat channel: clients append ".heartbeat" to subscribe
  assert.match(sv[3], new RegExp(`^tango://[^/]+:\\d+/dserver/${SERVER.toLowerCase()}$`));
});

test('polling: history buffers, DevPollStatus, periodic and change events, kept in the database across a restart', { skip }, async () => {
  const out = await run(`
dev.poll_attribute("StepsPerFile", 100)
dev.poll_command("Status", 150)
c = dev.get_attribute_config("StepsPerFile")
c.events.ch_event.abs_change = "2"
dev.set_attribute_config(c)
periodic, change = [], []
e1 = dev.subscribe_event("StepsPerFile", tango.EventType.PERIODIC_EVENT, lambda e: periodic.append(e.attr_value.value))
e2 = dev.subscribe_event("StepsPerFile", tango.EventType.CHANGE_EVENT, lambda e: change.append(None if e.err else int(e.attr_value.value)))
for v in (1, 2, 5):
    dev.StepsPerFile = v
    time.sleep(0.35)
time.sleep(1.2)
dev.unsubscribe_event(e1); dev.unsubscribe_event(e2)
h = dev.attribute_history("StepsPerFile", 10)
out["history"] = [int(x.value) for x in h]
out["ordered"] = all(h[i].time.totime() <= h[i + 1].time.totime() for i in range(len(h) - 1))
out["cmd_history"] = [x.extract() for x in dev.command_history("Status", 3)]
out["poll_status"] = list(adm.DevPollStatus(dev.name()))
out["polled_device"] = list(adm.PolledDevice())
out["periodic"] = periodic
out["change"] = change
out["props"] = {k: list(v) for k, v in dev.get_property(["polled_attr", "polled_cmd"]).items()}
out["not_polled"] = reason(dev.attribute_history, "CurrentFileId", 2)
adm.StopPolling()
out["stopped"] = adm.status()
newest = lambda: dev.attribute_history("StepsPerFile", 1)[0].time.totime()
before = newest()
time.sleep(0.3)
out["stopped_ring"] = newest()
out["no_reading_while_stopped"] = out["stopped_ring"] == before
adm.StartPolling()
time.sleep(0.3)
out["restarted_ring"] = dev.attribute_history("StepsPerFile", 1)[0].time.totime()
out["restarted"] = adm.status()
`);
  const history = out.history as number[];
  assert.ok(history.length >= 8, `history ${history.join(',')}`);
  assert.equal(out.ordered, true, 'oldest first');
  assert.equal(history[history.length - 1], 5);
  assert.deepEqual([...new Set(history)].filter((v) => v !== 0), [1, 2, 5].filter((v) => history.includes(v)));
  assert.deepEqual(out.cmd_history, ['Ready', 'Ready', 'Ready']);
  const status = (out.poll_status as string[]).join('\n');
  assert.match(status, /Polled attribute name = StepsPerFile\nPolling period \(mS\) = 100\nPolling ring buffer depth = 10\n/);
  assert.match(status, /Polled command name = Status\nPolling period \(mS\) = 150/);
  assert.match(status, /Delta between last records \(in mS\) = \d+, \d+, \d+, \d+/);
  assert.deepEqual(out.polled_device, [DEVICE]);
  const periodic = out.periodic as number[];
  assert.ok(periodic.length >= 2 && periodic.length <= 5, `about one periodic event a second (event_period 1000): ${periodic.join(',')}`);
  assert.deepEqual(out.change, [0, 2, 5], 'abs_change 2: the write of 1 is no change event');
  assert.deepEqual(out.props, { polled_attr: ['stepsperfile', '100'], polled_cmd: ['status', '150'] });
  assert.equal(out.not_polled, 'API_AttrNotPolled');
  assert.equal(out.stopped, 'The device is ON\nThe polling is OFF');
  assert.equal(out.no_reading_while_stopped, true);
  assert.ok((out.restarted_ring as number) > (out.stopped_ring as number), 'StartPolling resumes the readings');
  assert.equal(out.restarted, 'The device is ON\nThe polling is ON');

  await fx.restart();
  const after = await run(`
out["polled"] = [dev.is_attribute_polled("StepsPerFile"), dev.get_attribute_poll_period("StepsPerFile"), dev.is_command_polled("Status")]
time.sleep(0.5)
out["history"] = len(dev.attribute_history("StepsPerFile", 3))
dev.stop_poll_attribute("StepsPerFile")
dev.stop_poll_command("Status")
out["props"] = {k: list(v) for k, v in dev.get_property(["polled_attr", "polled_cmd"]).items()}
out["status"] = list(adm.DevPollStatus(dev.name()))
`);
  assert.deepEqual(after.polled, [true, 100, true]);
  assert.equal(after.history, 3);
  assert.deepEqual(after.props, { polled_attr: [], polled_cmd: [] });
  assert.deepEqual(after.status, []);
});

test('polling ring depths from the database (poll_ring_depth, attr_/cmd_poll_ring_depth), read when the server starts', { skip }, async () => {
  await run(`
dev.put_property({"poll_ring_depth": ["4"], "attr_poll_ring_depth": ["StepsPerFile", "25"], "cmd_poll_ring_depth": ["Status", "oops"]})
`);
  await fx.restart();
  try {
    const out = await run(`
dev.poll_attribute("StepsPerFile", 20)
dev.poll_attribute("CanFail", 20)
dev.poll_command("Status", 20)
time.sleep(1.0)
out["attr"] = len(dev.attribute_history("StepsPerFile", 100))
out["device"] = len(dev.attribute_history("CanFail", 100))
out["cmd"] = len(dev.command_history("Status", 100))
out["status"] = list(adm.DevPollStatus(dev.name()))
dev.stop_poll_attribute("StepsPerFile"); dev.stop_poll_attribute("CanFail"); dev.stop_poll_command("Status")
`);
    assert.equal(out.attr, 25, 'attr_poll_ring_depth: StepsPerFile keeps 25 readings');
    assert.equal(out.device, 4, 'poll_ring_depth: other attributes keep 4');
    assert.equal(out.cmd, 4, 'a depth that is not a number falls back to poll_ring_depth');
    const status = (out.status as string[]).join('\n');
    assert.match(status, /Polled attribute name = StepsPerFile\nPolling period \(mS\) = 20\nPolling ring buffer depth = 25\n/);
    assert.match(status, /Polled attribute name = CanFail\nPolling period \(mS\) = 20\nPolling ring buffer depth = 4\n/);
    assert.ok(warnings.some((w) => /cmd_poll_ring_depth Status 'oops' is not a positive integer/.test(w)), `the bad depth is reported: ${warnings.join('\n')}`);
  } finally {
    await run(`dev.delete_property(["poll_ring_depth", "attr_poll_ring_depth", "cmd_poll_ring_depth"])`);
    await fx.restart();
  }
});

test('min_value/max_value bound writes; limits cppTango refuses in set_attribute_config are refused with its reasons', { skip }, async () => {
  const out = await run(`
def errors(f, *a):
    try:
        f(*a)
        return None
    except tango.DevFailed as e:
        return [e.args[0].reason, e.args[0].desc.split("\\n")[-1]]
def setc(attr, **kw):
    c = dev.get_attribute_config(attr)
    for k, v in kw.items():
        setattr(c.alarms if k.endswith(("_alarm", "_warning")) else c, k, v)
    return errors(dev.set_attribute_config, c)
def clear(attr):
    c = dev.get_attribute_config(attr)
    c.min_value = c.max_value = "Not specified"
    c.alarms.min_alarm = c.alarms.max_alarm = c.alarms.min_warning = c.alarms.max_warning = "Not specified"
    dev.set_attribute_config(c)
out["range"] = setc("StepsPerFile", min_value="0", max_value="100")
out["above"] = errors(dev.write_attribute, "StepsPerFile", 500)
out["below"] = errors(dev.write_attribute, "StepsPerFile", -1)
out["inside"] = errors(dev.write_attribute, "StepsPerFile", 50)
out["kept"] = dev.StepsPerFile
clear("StepsPerFile")
out["free"] = errors(dev.write_attribute, "StepsPerFile", 500)
dev.StepsPerFile = 0
out["incoherent"] = setc("StepsPerFile", min_value="10", max_value="5")
out["incoherent_alarm"] = setc("StepsPerFile", min_alarm="10", max_alarm="5")
out["format"] = setc("StepsPerFile", min_warning="abc")
out["string"] = setc("FileName", min_value="1")
out["boolean"] = setc("CanFail", max_alarm="1")
out["unchanged"] = [dev.get_attribute_config("StepsPerFile").min_value, dev.get_attribute_config("FileName").min_value]
clear("StepsPerFile")
`);
  assert.equal(out.range, null);
  assert.deepEqual(out.above, ['API_WAttrOutsideLimit', 'Set value for attribute StepsPerFile is above the maximum authorized (at least element 0)']);
  assert.deepEqual(out.below, ['API_WAttrOutsideLimit', 'Set value for attribute StepsPerFile is below the minimum authorized (at least element 0)']);
  assert.equal(out.inside, null);
  assert.equal(out.kept, 50);
  assert.equal(out.free, null);
  assert.deepEqual(out.incoherent, ['API_IncoherentValues', 'Value of min_value is greater than or equal to max_value']);
  assert.deepEqual(out.incoherent_alarm, ['API_IncoherentValues', 'Value of min_alarm is greater than or equal to max_alarm']);
  assert.deepEqual(out.format, ['API_AttrOptProp', 'The property min_warning is defined in an unsupported format']);
  assert.deepEqual(out.string, ['API_AttrOptProp', 'The property min_value is not settable for the attribute data type']);
  assert.deepEqual(out.boolean, ['API_AttrOptProp', 'The property max_alarm is not settable for the attribute data type']);
  assert.deepEqual(out.unchanged, ['Not specified', 'Not specified'], 'a refused configuration changes nothing');
});

test('a memorized value and the attribute configuration survive DevRestart and a server restart', { skip }, async () => {
  const out = await run(`
dev.StepsPerFile = 7
c = dev.get_attribute_config("CurrentFileId")
c.label = "File number"; c.unit = "files"; c.format = "%4d"; c.events.ch_event.rel_change = "10"
dev.set_attribute_config(c)
db = tango.Database()
out["stored"] = {a: {k: list(v) for k, v in p.items()} for a, p in db.get_device_attribute_property(dev.name(), ["StepsPerFile", "CurrentFileId"]).items()}
adm.DevRestart(dev.name())
out["after_devrestart"] = dev.StepsPerFile
`);
  const stored = out.stored as Record<string, Record<string, string[]>>;
  assert.deepEqual(stored.StepsPerFile.__value, ['7']);
  assert.deepEqual(stored.CurrentFileId, { label: ['File number'], unit: ['files'], format: ['%4d'], rel_change: ['10'] });
  assert.equal(out.after_devrestart, 7);

  await fx.restart();
  const after = await run(`
out["steps"] = dev.StepsPerFile
confs = []
eid = dev.subscribe_event("CurrentFileId", tango.EventType.ATTR_CONF_EVENT, lambda e: confs.append(None if e.err else e.attr_conf.label))
c = dev.get_attribute_config("CurrentFileId")
out["config"] = [c.label, c.unit, c.format, c.events.ch_event.rel_change]
c.label = ""
c.unit = "Not specified"
dev.set_attribute_config(c)
out["config2"] = [dev.get_attribute_config("CurrentFileId").label, dev.get_attribute_config("CurrentFileId").unit]
time.sleep(0.3)
dev.unsubscribe_event(eid)
out["conf_events"] = confs
out["stored"] = {k: list(v) for k, v in tango.Database().get_device_attribute_property(dev.name(), ["CurrentFileId"])["CurrentFileId"].items()}
dev.StepsPerFile = 0
`);
  assert.equal(after.steps, 7);
  assert.deepEqual(after.config, ['File number', 'files', '%4d', '10']);
  assert.deepEqual(after.config2, ['CurrentFileId', '']);
  assert.deepEqual(after.conf_events, ['File number', 'CurrentFileId'], 'attr_conf events (Taurus subscribes to them)');
  assert.deepEqual(after.stored, { format: ['%4d'], rel_change: ['10'] });
});

test('locking: the owner works, a second client is refused commands and writes but reads', { skip }, async () => {
  const other = `
import subprocess
code = '''
import tango, sys, json
d = tango.DeviceProxy(sys.argv[1])
r = {"locked": d.is_locked(), "mine": d.is_locked_by_me()}
${PY_REASON}
r["command"] = reason(d.command_inout, "OpenFile")
r["write"] = reason(d.write_attribute, "CanFail", False)
r["unlock"] = reason(d.unlock)
r["read"] = bool(d.read_attribute("CanFail").value)
r["state"] = str(d.state())
print(json.dumps(r))
'''
def other():
    p = subprocess.run([sys.executable, "-c", code, dev.name()], capture_output=True, text=True)
    return json.loads(p.stdout.strip().splitlines()[-1])
`;
  const out = await run(`${other}
dev.lock(10)
out["owner"] = [dev.is_locked(), dev.is_locked_by_me()]
out["status"] = list(adm.DevLockStatus(dev.name())[1])
out["pid"] = int(adm.DevLockStatus(dev.name())[0][1]) == __import__("os").getpid()
out["other"] = other()
dev.CanFail = True
out["owner_write"] = True
dev.unlock()
out["after"] = other()
`);
  assert.deepEqual(out.owner, [true, true]);
  assert.match((out.status as string[])[0], new RegExp(`^Device ${DEVICE} is locked by CPP or Python client with PID \\d+ from host giop:tcp:`));
  assert.equal(out.pid, true);
  assert.deepEqual(out.other, { locked: true, mine: false, command: 'API_DeviceLocked', write: 'API_DeviceLocked', unlock: 'API_DeviceLocked', read: true, state: 'ON' });
  assert.equal(out.owner_write, true);
  const after = out.after as Record<string, unknown>;
  assert.equal(after.locked, false);
  assert.notEqual(after.command, 'API_DeviceLocked', 'unlocked: the other client may run commands again');
});

test('logging targets: a file gets the device messages at the level set; GetLogging*, StopLogging', { skip }, async () => {
  const log = join(fx.dir, 'device.log');
  const out = await run(`
adm.AddLoggingTarget([dev.name(), "file::${log}"])
out["targets"] = list(adm.GetLoggingTarget(dev.name()))
out["level0"] = int(adm.GetLoggingLevel([dev.name()])[0][0])
dev.FileName = ${JSON.stringify(join(fx.dir, 'logged.nxs'))}
dev.OpenFile(); dev.CloseFile()
adm.SetLoggingLevel([[5], [dev.name()]])
out["level"] = int(adm.GetLoggingLevel([dev.name()])[0][0])
dev.OpenFile(); dev.CloseFile()
time.sleep(0.3)
adm.StopLogging()
dev.OpenFile()
adm.StartLogging()
adm.RemoveLoggingTarget([dev.name(), "file::${log}"])
dev.CloseFile()
time.sleep(0.3)
out["targets_after"] = list(adm.GetLoggingTarget(dev.name()))
out["bad"] = reason(adm.AddLoggingTarget, [dev.name(), "printer::x"])
`);
  assert.deepEqual(out.targets, [`file::${log}`]);
  assert.equal(out.level0, 0, 'a device starts with logging OFF, as in cppTango');
  assert.equal(out.level, 5);
  const lines = readFileSync(log, 'utf8').trim().split('\n');
  assert.deepEqual(lines.map((l) => l.replace(/^\S+ /, '')), [`DEBUG ${DEVICE} ${DEVICE}: In OpenFile()`, `DEBUG ${DEVICE} ${DEVICE}: In CloseFile()`]);
  assert.deepEqual(out.targets_after, []);
  assert.equal(out.bad, 'API_InvalidArgs');

  // the logging_level / logging_target device properties configure a device at start
  await py(DEVICE, `dev.put_property({"logging_level": ["INFO"], "logging_target": ["file::${log}.2"]})`, env);
  await fx.restart();
  const props = await run(`
adm = tango.DeviceProxy(dev.adm_name())
out["level"] = int(adm.GetLoggingLevel([dev.name()])[0][0])
out["targets"] = list(adm.GetLoggingTarget(dev.name()))
dev.delete_property(["logging_level", "logging_target"])
`);
  assert.deepEqual(props, { level: 4, targets: [`file::${log}.2`] });
});

test('the admin device has cppTango 9.3\'s 32 commands; black box entries name the command', { skip }, async () => {
  const out = await run(`
out["commands"] = sorted(c.cmd_name for c in adm.command_list_query())
dev.command_inout("Status")
dev.read_attributes(["FileName", "CanFail"])
out["bb"] = list(dev.black_box(2))
out["status"] = adm.status()
`);
  assert.deepEqual(out.commands, ['AddLoggingTarget', 'AddObjPolling', 'DevLockStatus', 'DevPollStatus', 'DevRestart', 'EventConfirmSubscription', 'EventSubscriptionChange',
    'GetLoggingLevel', 'GetLoggingTarget', 'Init', 'Kill', 'LockDevice', 'PolledDevice', 'QueryClass', 'QueryDevice', 'QuerySubDevice', 'QueryWizardClassProperty',
    'QueryWizardDevProperty', 'ReLockDevices', 'RemObjPolling', 'RemoveLoggingTarget', 'RestartServer', 'SetLoggingLevel', 'StartLogging', 'StartPolling', 'State', 'Status',
    'StopLogging', 'StopPolling', 'UnLockDevice', 'UpdObjPollingPeriod', 'ZmqEventSubscriptionChange']);
  const [read, cmd] = out.bb as string[];
  const when = String.raw`^\d\d/\d\d/\d{4} \d\d:\d\d:\d\d:\d\d : `;
  assert.match(cmd, new RegExp(`${when}Operation command_inout_4 \\(cmd = Status\\) from cache_device requested from \\S+ \\(CPP/Python client with PID \\d+\\)$`));
  assert.match(read, new RegExp(`${when}Operation read_attributes_5 \\(FileName, CanFail\\) from cache_device requested from \\S+ \\(CPP/Python client with PID \\d+\\)$`));
  assert.equal(out.status, 'The device is ON\nThe polling is ON');
});

test('heartbeats keep a subscription alive: no API_EventTimeout after 13 s, events still arrive', { skip }, async () => {
  const out = await run(`
events = []
eid = dev.subscribe_event("State", tango.EventType.CHANGE_EVENT, lambda e: events.append(e.errors[0].reason if e.err else str(e.attr_value.value)))
time.sleep(13)
dev.FileName = ${JSON.stringify(join(fx.dir, 'heartbeat.nxs'))}
dev.OpenFile()
time.sleep(0.5)
dev.CloseFile()
time.sleep(0.5)
dev.unsubscribe_event(eid)
out["events"] = events
`);
  assert.deepEqual(out.events, ['ON', 'OPEN', 'ON']);
});
