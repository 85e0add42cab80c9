// Taurus (the Tango client framework Sardana and its GUIs are built on; Debian's python3-taurus)
// against the NXSDataWriter device registered in the Tango database, side by side with cppTango's
// TangoTest (sys/tg_test/1): the device and attribute models, the attribute configuration Taurus
// derives its formats, units and ranges from, its event subscriptions (and when it falls back to
// polling), a server restart under a live listener, and a TaurusForm drawn offscreen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { tangoStackUp, TEST_DEVICE } from '@nxsw/tango-wire/testkit';
import { deleteServer, havePyTango, REPO_ROOT, serverPerFile, TANGO_HOST, tangoDbUp, tangoEnv, XML_C1 } from './helpers.js';

const haveTaurus = (): boolean => spawnSync(SYSTEM_PYTHON, ['-c', 'import taurus, PyQt5'], { stdio: 'ignore' }).status === 0;
const skip = serviceSkip('the Tango stack (database and TangoTest) with PyTango and Taurus',
  tangoDbUp() && havePyTango() && haveTaurus() && await tangoStackUp(),
  `TANGO_HOST=${TANGO_HOST}; run scripts/tango-stack.sh start; apt-get install python3-taurus (scripts/setup.sh does)`);

const INSTANCE = `nxswtaurus${process.pid}`;
const SERVER = `NXSDataWriter/${INSTANCE}`;
const DEVICE = `test/nxswtaurus/${process.pid}`;
const NX = `tango://${TANGO_HOST}/${DEVICE}`;
const TG = `tango://${TANGO_HOST}/${TEST_DEVICE}`;
const SHOTS = join(REPO_ROOT, 'test-results', 'taurus');
const fx = serverPerFile(skip, { tmpPrefix: 'nxsw-taurus-', args: ['--instance', INSTANCE, '--device', DEVICE, '--tango-host', TANGO_HOST], cleanup: () => deleteServer(SERVER) });
before(fx.setUp);
after(fx.tearDown);

// Taurus's threads crash the interpreter at exit now and then ("double free"): the script leaves
// with os._exit once its answer is printed. A listener records (time, event type, value name).
const PRELUDE = `
import sys, os, json, time, taurus
from taurus.core.taurusbasetypes import TaurusEventType
NX, TG = sys.argv[1], sys.argv[2]
out = {}
class Recorder:
    def __init__(self):
        self.events = []
    def eventReceived(self, src, etype, value):
        v = getattr(value, "rvalue", value)
        self.events.append((time.time(), TaurusEventType.whatis(etype), getattr(v, "name", str(v))))
    def values(self, kind="Change"):
        return [v for _, k, v in self.events if k == kind]
    def wait_for(self, value, since, timeout=1.0):
        end = since + timeout
        while time.time() < end:
            if any(t >= since and v == value for t, _, v in self.events):
                return round(min(t for t, _, v in self.events if t >= since and v == value) - since, 3)
            time.sleep(0.005)
        return None
`;

/** Runs a Taurus script (Debian's Python); it fills `out`, returned parsed. */
function taurusPy(body: string, args: string[] = [], timeoutMs = 90_000): Promise<Record<string, unknown>> {
  const script = `${PRELUDE}\n${body}\nprint("@@OUT@@" + json.dumps(out, default=str), flush=True)\nos._exit(0)\n`;
  const env = { ...tangoEnv, QT_QPA_PLATFORM: 'offscreen', XDG_RUNTIME_DIR: fx.dir };
  return new Promise((resolve, reject) => {
    execFile(SYSTEM_PYTHON, ['-c', script, NX, TG, ...args], { env, timeout: timeoutMs, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      const line = stdout.split('\n').find((l) => l.startsWith('@@OUT@@'));
      if (err || !line) {
        reject(new Error(`taurus script failed: ${err?.message ?? 'no output'}\n${stderr}\n${stdout}`));
        return;
      }
      resolve(JSON.parse(line.slice(7)) as Record<string, unknown>);
    });
  });
}

function h5(file: string, expr: string): unknown {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', `import sys, json, h5py\nf = h5py.File(sys.argv[1], "r")\nprint(json.dumps(${expr}))`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

test('Taurus models the writer as it models TangoTest: types, formats, units, ranges, writability; lock, asynchronous poll, limits', { skip }, async () => {
  const out = await taurusPy(`
def info(model):
    a = taurus.Attribute(model)
    v = a.read(cache=False)
    units = getattr(v.rvalue, "units", None)
    return {"type": str(a.type), "format": a.format_spec, "writable": a.isWritable(), "label": a.getLabel(),
            "units": None if units is None else str(units), "range": [str(x) for x in a.range],
            "shape": list(a.getShape() or []), "value": str(getattr(v.rvalue, "magnitude", v.rvalue))}
# an nxsw attribute and the TangoTest attribute of the same Tango type and access
pairs = {"CanFail": "boolean_scalar", "StepsPerFile": "long_scalar", "FileName": "string_scalar",
         "State": "State", "Status": "Status", "Errors": "string_spectrum", "CurrentFileId": "long_scalar"}
out["nx"] = {n: info(NX + "/" + n) for n in list(pairs) + ["XMLSettings", "JSONRecord", "NXDLReport"]}
out["tg"] = {n: info(TG + "/" + t) for n, t in pairs.items()}
d = taurus.Device(NX)
out["device"] = {"state": d.state.name, "tango_state": d.stateObj.read().rvalue.name, "description": d.description, "status": d.getDeviceProxy().status()}
out["tg_state"] = taurus.Device(TG).state.name
# the admin devices: neither pushes its State, so Taurus polls both, without an error
admin = {}
for key, url in (("nx", NX), ("tg", TG)):
    adm = taurus.Device(url).getDeviceProxy().adm_name()
    a = taurus.Attribute((adm if adm.startswith("tango://") else "tango://" + url.split("/")[2] + "/" + adm) + "/State")
    seen = Recorder()
    a.addListener(seen)
    time.sleep(0.5)
    admin[key] = [a.isUsingEvents(), a.isPollingActive(), [v for _, k, v in seen.events if k == "Error"]]
    a.removeListener(seen)
out["admin"] = admin
d.lock()
out["locked"] = str(d.getLockInfo(cache=False))
d.unlock()
out["unlocked"] = str(d.getLockInfo(cache=False))
# Taurus's polling timer reads a device's attributes together, asynchronously
steps, seen = taurus.Attribute(NX + "/StepsPerFile"), Recorder()
steps.addListener(seen)
req = d.poll({"StepsPerFile": steps}, asynch=True)
d.poll({"StepsPerFile": steps}, req_id=req)
time.sleep(0.3)
out["polled"] = seen.values("Periodic")
steps.removeListener(seen)
# ranges and alarms as Taurus sets them (set_attribute_config), then back to none. Each set sends
# Taurus's cached configuration, which the attr_conf event of the previous set may replace while
# it is being changed (so back-to-back sets lose changes now and then, on TangoTest as here):
# one at a time
def apply(f, *limits):
    f(*limits)
    time.sleep(0.3)
apply(steps.setRange, -10, 10000); apply(steps.setWarnings, -5, 5000); apply(steps.setAlarms, -8, 8000)
i = steps.getAttributeInfoEx(cache=False)
out["limits"] = [i.min_value, i.max_value, i.alarms.min_warning, i.alarms.max_warning, i.alarms.min_alarm, i.alarms.max_alarm]
out["taurus_limits"] = [str(x.magnitude) for x in steps.range + steps.warnings + steps.alarms]
# the device keeps writes inside the range (Taurus's widgets check it too; a script does not)
try:
    steps.write(20000)
    out["outside"] = None
except Exception as e:
    out["outside"] = e.args[0].reason
inf = float("inf")
apply(steps.setRange, -inf, inf); apply(steps.setWarnings, -inf, inf); apply(steps.setAlarms, -inf, inf)
i = steps.getAttributeInfoEx(cache=False)
out["limits_reset"] = [i.min_value, i.max_value, i.alarms.min_warning, i.alarms.max_warning, i.alarms.min_alarm, i.alarms.max_alarm]
`);
  const nx = out.nx as Record<string, Record<string, unknown>>;
  const tg = out.tg as Record<string, Record<string, unknown>>;
  for (const [n, t] of Object.entries(tg)) {
    // the same Taurus type, format (Taurus formats values with the Tango format) and units
    for (const k of ['type', 'format', 'units', 'range']) assert.deepEqual(nx[n]![k], t[k], `${n} ${k}: nxsw ${String(nx[n]![k])}, TangoTest ${String(t[k])}`);
  }
  assert.equal(nx.CanFail!.format, '!s', 'a boolean has no printf format, as in cppTango');
  assert.equal(nx.StepsPerFile!.format, 'd');
  for (const n of ['FileName', 'XMLSettings', 'JSONRecord', 'StepsPerFile', 'CanFail']) assert.equal(nx[n]!.writable, true, n);
  for (const n of ['CurrentFileId', 'NXDLReport', 'Errors', 'State']) assert.equal(nx[n]!.writable, false, n);
  assert.equal(nx.FileName!.label, 'FileName');
  assert.deepEqual(nx.Errors!.shape, [1000]);
  assert.deepEqual(JSON.parse(String(nx.NXDLReport!.value)), {});
  const device = out.device as Record<string, string>;
  assert.equal(device.state, 'Ready');
  assert.equal(device.tango_state, 'ON');
  assert.equal(out.tg_state, 'Ready');
  const admin = out.admin as Record<string, unknown>;
  assert.deepEqual(admin.nx, [false, true, []], 'the admin device\'s State: polled by Taurus, no error event');
  assert.deepEqual(admin.nx, admin.tg);
  assert.equal(out.locked, `${DEVICE} is locked by you!`);
  assert.equal(out.unlocked, `${DEVICE} is not locked`);
  assert.deepEqual(out.polled, ['0'], 'the asynchronous read reached the listener');
  assert.deepEqual(out.limits, ['-10', '10000', '-5', '5000', '-8', '8000']);
  assert.deepEqual(out.taurus_limits, ['-10', '10000', '-5', '5000', '-8', '8000']);
  assert.equal(out.outside, 'API_WAttrOutsideLimit');
  assert.deepEqual(out.limits_reset, Array(6).fill('Not specified'));
});

test('a scan driven through taurus.Device; State and FileName listeners get events within a second, not by polling', { skip, timeout: 120_000 }, async () => {
  const file = join(fx.dir, 'scan.nxs');
  const out = await taurusPy(`
d = taurus.Device(NX)
d.command_inout("Init")
state, name, xml = Recorder(), Recorder(), Recorder()
sa, fa, xa = (taurus.Attribute(NX + "/" + n) for n in ("State", "FileName", "XMLSettings"))
sa.addListener(state); fa.addListener(name); xa.addListener(xml)
time.sleep(0.5)
fa.write(sys.argv[3])
xa.write(${JSON.stringify(XML_C1)})
out["filename"] = fa.read(cache=False).rvalue
t = time.time(); d.command_inout("OpenFile"); out["open"] = state.wait_for("OPEN", t)
t = time.time(); d.command_inout("OpenEntry"); out["extract"] = state.wait_for("EXTRACT", t)
for i in range(3):
    d.command_inout("Record", json.dumps({"data": {"c1": i * 1.5}}))
d.command_inout("CloseEntry")
t = time.time(); d.command_inout("CloseFile"); out["on"] = state.wait_for("ON", t)
# XMLSettings pushes no events (as in NXSDataWriter): Taurus polls it, every 3 s by default
time.sleep(3.5)
out["states"] = state.values()
out["names"] = name.values()
out["xml_events"] = len(xml.values("Periodic"))
out["mechanism"] = {n: [a.isUsingEvents(), a.isPollingActive()] for n, a in (("State", sa), ("FileName", fa), ("XMLSettings", xa))}
# a configuration change reaches the listener as a Config event (ATTR_CONF_EVENT)
# (setLabel changes Taurus's copy at once; the event brings the device's)
def config_event(since, timeout=2.0):
    end = since + timeout
    while time.time() < end:
        for tt, k, _ in name.events:
            if k == "Config" and tt >= since:
                return round(tt - since, 3)
        time.sleep(0.005)
    return None
t = time.time(); fa.setLabel("Output file"); out["config_event"] = config_event(t)
out["label"] = fa.getAttributeInfoEx(cache=False).label  # asks the device again
t = time.time(); fa.setLabel(""); config_event(t)
out["label_reset"] = fa.getLabel()
for a, l in ((sa, state), (fa, name), (xa, xml)):
    a.removeListener(l)
`, [file]);
  assert.equal(out.filename, file);
  for (const k of ['open', 'extract', 'on']) {
    assert.equal(typeof out[k], 'number', `${k}: no State event within a second (${JSON.stringify(out.states)})`);
  }
  // the value read at subscription, then each change once
  assert.deepEqual(out.states, ['ON', 'OPEN', 'EXTRACT', 'OPEN', 'ON']);
  assert.deepEqual(out.names, ['', file]);
  assert.deepEqual(out.mechanism, { State: [true, false], FileName: [true, false], XMLSettings: [false, true] });
  assert.ok((out.xml_events as number) >= 1, 'Taurus polls XMLSettings');
  assert.equal(out.label, 'Output file');
  assert.equal(typeof out.config_event, 'number', 'a Config event within 2 s of setLabel');
  assert.equal(out.label_reset, 'FileName', 'an empty label is the default again');
  assert.deepEqual(h5(file, 'f["entry1/c1"][()].tolist()'), [0, 1.5, 3]);
});

test('a Taurus listener survives a server restart: API_EventTimeout, then events again', { skip, timeout: 120_000 }, async () => {
  const ready = join(fx.dir, 'restart.ready');
  const restarted = join(fx.dir, 'restart.go');
  const pending = taurusPy(`
import tango
ready, go, target = sys.argv[3:6]
sa = taurus.Attribute(NX + "/State")
state = Recorder()
sa.addListener(state)
time.sleep(0.5)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.05)
t0 = time.time()
dev = tango.DeviceProxy(NX)
dev.FileName = target
dev.OpenFile()
# PyTango notices the dead channel after its 10 s keep-alive period and subscribes again
out["open"] = state.wait_for("OPEN", t0, timeout=40)
out["errors"] = [v.split("desc = ")[-1][:60] for _, k, v in state.events if k == "Error"]
# Taurus polls while it subscribes again; once an event has come it stops polling
end = time.time() + 20
while time.time() < end and not (sa.isUsingEvents() and not sa.isPollingActive()):
    time.sleep(0.05)
out["mechanism"] = [sa.isUsingEvents(), sa.isPollingActive()]
out["kinds"] = [k for _, k, _ in state.events]
t = time.time(); dev.CloseFile(); out["on"] = state.wait_for("ON", t)
out["on_kind"] = [k for tt, k, v in state.events if tt >= t and v == "ON"][:1]
sa.removeListener(state)
`, [ready, restarted, join(fx.dir, 'restart.nxs')]);
  const deadline = Date.now() + 30_000;
  while (!existsSync(ready) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(existsSync(ready), 'the Taurus script subscribed');
  await fx.restart();
  writeFileSync(restarted, '');
  const out = await pending;
  assert.equal(typeof out.open, 'number', `no OPEN event after the restart (errors: ${JSON.stringify(out.errors)})`);
  assert.ok((out.open as number) < 30, `OPEN after ${String(out.open)} s`);
  assert.ok((out.errors as string[]).some((e) => e.includes('Event channel is not responding')), JSON.stringify(out.errors));
  assert.deepEqual(out.mechanism, [true, false], `back on events, polling off: ${JSON.stringify(out.kinds)}`);
  assert.equal(typeof out.on, 'number', 'ON within a second');
  assert.deepEqual(out.on_kind, ['Change'], 'by an event');
});

test('a TaurusForm drawn offscreen shows the writer\'s values, formatted as TangoTest\'s, and writes what is typed; the commands form runs commands', { skip, timeout: 120_000 }, async () => {
  mkdirSync(SHOTS, { recursive: true });
  const shot = join(SHOTS, 'nxsdatawriter-form.png');
  const out = await taurusPy(`
from taurus.qt.qtgui.application import TaurusApplication
from taurus.qt.qtgui.panel import TaurusForm
from taurus.qt.qtgui.display import TaurusLabel
from taurus.core.tango.util import tangoFormatter
app = TaurusApplication([], cmd_line_parser=None)
dev = taurus.Device(NX)
dev.command_inout("Init")
dev.write_attribute("FileName", "/tmp/form.nxs")
dev.write_attribute("StepsPerFile", 7)
names = ["State", "Status", "CanFail", "StepsPerFile", "CurrentFileId", "FileName", "Errors", "JSONRecord", "NXDLReport"]
form = TaurusForm()
form.setModel([NX + "/" + n for n in names])
form.resize(900, 520)
form.show()
# labels with the Tango format (taurus --default-formatter tangoFormatter)
labels = {}
for model in (NX + "/CanFail", TG + "/boolean_scalar", NX + "/StepsPerFile", NX + "/State"):
    l = TaurusLabel(); l.setFormat(tangoFormatter); l.setModel(model); l.show(); labels[model] = l
def settle(s):
    end = time.time() + s
    while time.time() < end:
        app.processEvents(); time.sleep(0.02)
settle(3)
def text(w):
    if w is None: return None
    for f in ("text", "currentText"):
        if hasattr(w, f): return getattr(w, f)()
    return type(w).__name__
items = {item.getModel().split("/")[-1]: item for item in form.getItems()}
out["items"] = {n: {"label": text(i.labelWidget()), "read": text(i.readWidget()), "write": text(i.writeWidget())} for n, i in items.items()}
out["labels"] = {m.split("/")[-1]: l.text() for m, l in labels.items()}
out["tg_bool"] = str(taurus.Attribute(TG + "/boolean_scalar").read().rvalue)
form.grab().save(sys.argv[3])
# the write widgets, as a user types and applies
items["StepsPerFile"].writeWidget().setValue(3)
items["FileName"].writeWidget().setValue("/tmp/typed.nxs")
items["CanFail"].writeWidget().setChecked(False)
for n in ("StepsPerFile", "FileName", "CanFail"):
    items[n].writeWidget().writeValue(forceApply=True)
settle(1)
out["written"] = {n: dev.read_attribute(n).value for n in ("StepsPerFile", "FileName", "CanFail")}
out["shown"] = text(items["StepsPerFile"].readWidget())
# the commands form: a button per command; clicking one runs it
from taurus.qt.qtgui.panel import TaurusCommandsForm
from taurus.external.qt import Qt
commands = TaurusCommandsForm()
commands.setModel(NX)
commands.show()
settle(1)
buttons = {b.text(): b for b in commands.findChildren(Qt.QPushButton)}
out["commands"] = sorted(buttons)
dev.write_attribute("FileName", sys.argv[4])
buttons["OpenFile"].click()
settle(0.5)
out["after_click"] = str(dev.getDeviceProxy().state())
buttons["CloseFile"].click()
settle(0.5)
out["after_close"] = str(dev.getDeviceProxy().state())
dev.command_inout("Init")
dev.write_attribute("StepsPerFile", 0)
`, [shot, join(fx.dir, 'clicked.nxs')]);
  const items = out.items as Record<string, { label: string; read: string; write: string | null }>;
  assert.deepEqual(Object.keys(items), ['State', 'Status', 'CanFail', 'StepsPerFile', 'CurrentFileId', 'FileName', 'Errors', 'JSONRecord', 'NXDLReport']);
  assert.equal(items.Status!.read, 'Ready');
  assert.deepEqual([items.StepsPerFile!.read, items.StepsPerFile!.write], ['7', '7']);
  assert.deepEqual([items.FileName!.read, items.FileName!.write], ['/tmp/form.nxs', '/tmp/form.nxs']);
  assert.equal(items.CurrentFileId!.read, '0');
  assert.equal(items.CurrentFileId!.write, null, 'read-only: no write widget');
  assert.equal(items.JSONRecord!.read, '{}');
  assert.equal(items.NXDLReport!.read, '{}');
  assert.equal(items.CanFail!.label, 'CanFail');
  const labels = out.labels as Record<string, string>;
  // a boolean reads as TangoTest's does (with "%6.2f" as format it read "  1.00")
  assert.equal(labels.CanFail, 'True');
  assert.equal(labels.boolean_scalar, out.tg_bool);
  assert.equal(labels.StepsPerFile, '7');
  assert.ok(existsSync(shot), `screenshot at ${shot}`);
  assert.deepEqual(out.written, { StepsPerFile: 3, FileName: '/tmp/typed.nxs', CanFail: false });
  assert.equal(out.shown, '3', 'the read widget follows the write (a change event)');
  for (const c of ['OpenFile', 'OpenEntry', 'Record', 'CloseEntry', 'CloseFile', 'OpenEntryAsynch', 'RecordAsynch', 'CloseEntryAsynch', 'Init']) {
    assert.ok((out.commands as string[]).includes(c), `${c} in the commands form: ${JSON.stringify(out.commands)}`);
  }
  assert.deepEqual([out.after_click, out.after_close], ['OPEN', 'ON']);
  const clicked = join(fx.dir, 'clicked.nxs');
  assert.deepEqual(h5(clicked, '[x if isinstance(x, str) else x.decode() for x in (f.attrs["NX_class"], f.attrs["file_name"])]'), ['NXroot', clicked]);
});
