// The NXSDataWriter device registered in a real Tango database (DataBaseds from
// scripts/tango-stack.sh): definition, export, tango_admin, PyTango by name, device properties
// taking effect after Init, unexport on stop.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { haveH5py, h5get, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { deleteServer, havePyTango, py, serverPerFile, startServer, TANGO_HOST, tangoDbUp, tangoEnv, XML_C1 } from './helpers.js';

const env = tangoEnv;
const skip = serviceSkip('a Tango database with PyTango and h5py', tangoDbUp() && havePyTango() && haveH5py(), `TANGO_HOST=${TANGO_HOST}; run scripts/tango-stack.sh start`);

const INSTANCE = `nxswtest${process.pid}`;
const SERVER = `NXSDataWriter/${INSTANCE}`;
const DEVICE = `test/nxswdb/${process.pid}`;
const fx = serverPerFile(skip, { tmpPrefix: 'nxsw-tango-db-', args: ['--instance', INSTANCE, '--device', DEVICE, '--tango-host', TANGO_HOST], cleanup: () => deleteServer(SERVER) });
before(fx.setUp);
after(fx.tearDown);

function run(cmd: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: stdout + stderr });
    });
  });
}

test('the server defines its device, exports it and the admin device, and says how to connect', { skip }, async () => {
  assert.match(fx.server.description, new RegExp(`tango\\.DeviceProxy\\("${DEVICE}"\\)`));
  assert.match(fx.server.description, new RegExp(`TANGO_HOST=${TANGO_HOST}`));
  const ping = await run('tango_admin', ['--ping-device', DEVICE, '5']);
  assert.equal(ping.code, 0, ping.out);
  const out = await py(DEVICE, `
db = tango.Database()
out["exported"] = db.get_device_info(${JSON.stringify(DEVICE)}).exported
out["adm_exported"] = db.get_device_info("dserver/${SERVER}").exported
out["class"] = db.get_class_for_device(${JSON.stringify(DEVICE)})
out["adm"] = dev.adm_name()
adm = tango.DeviceProxy(dev.adm_name())
out["adm_state"] = str(adm.state())
out["query"] = list(adm.QueryDevice())
out["info"] = dev.info().server_id
`, env);
  assert.equal(out.exported, 1);
  assert.equal(out.adm_exported, 1);
  assert.equal(out.class, 'NXSDataWriter');
  assert.equal(String(out.adm).toLowerCase(), `dserver/${SERVER}`.toLowerCase());
  assert.equal(out.adm_state, 'ON');
  assert.deepEqual(out.query, [`NXSDataWriter::${DEVICE}`]);
  assert.equal(out.info, SERVER);
});

test('the whole scan sequence through the database name; file checked with h5py', { skip }, async () => {
  const file = join(fx.dir, 'db-scan.nxs');
  const out = await py(DEVICE, `
dev.Init()
s = []
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile(); s.append(st())
dev.XMLSettings = ${JSON.stringify(XML_C1)}
dev.JSONRecord = '{}'
dev.OpenEntry(); s.append(st())
for i in range(3):
    dev.Record(json.dumps({"data": {"c1": 0.5 * i}})); s.append(st())
dev.CloseEntry(); s.append(st())
dev.CloseFile(); s.append(st())
out["states"] = s
`, env);
  assert.deepEqual(out.states, ['OPEN', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'EXTRACT', 'OPEN', 'ON']);
  assert.deepEqual(h5get(readWithH5py(file), 'entry1/c1').value, [0, 0.5, 1]);
});

test('device properties set in the database take effect after Init', { skip }, async () => {
  const file = join(fx.dir, 'db-props.nxs');
  const out = await py(DEVICE, `
dev.Init()
out["canfail_before"] = dev.CanFail
dev.put_property({"DefaultCanFail": ["false"], "AddingLogs": ["false"]})
out["canfail_not_yet"] = dev.CanFail
dev.Init()
out["canfail_after"] = dev.CanFail
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile(); dev.XMLSettings = ${JSON.stringify(XML_C1)}; dev.OpenEntry()
dev.Record('{"data": {"c1": 1.0}}'); dev.CloseEntry(); dev.CloseFile()
dev.delete_property(["DefaultCanFail", "AddingLogs"])
dev.Init()
out["canfail_reset"] = dev.CanFail
`, env);
  assert.equal(out.canfail_before, true, 'DefaultCanFail defaults to true (spec 4.4)');
  assert.equal(out.canfail_not_yet, true, 'a property change needs Init');
  assert.equal(out.canfail_after, false);
  assert.equal(out.canfail_reset, true);
  const f = readWithH5py(file);
  assert.ok(!('nexus_logs' in f.children), 'AddingLogs=false: no /nexus_logs');
  assert.deepEqual(h5get(f, 'entry1/c1').value, [1]);
});

test('stop unexports the server; a restart exports it again', { skip }, async () => {
  await fx.stop();
  const gone = await py(DEVICE, `
db = tango.Database()
out["exported"] = db.get_device_info(${JSON.stringify(DEVICE)}).exported
`, env);
  assert.equal(gone.exported, 0);
  const ping = await run('tango_admin', ['--ping-device', DEVICE, '1']);
  assert.notEqual(ping.code, 0, 'a stopped device does not answer');
  await fx.start();
  assert.equal((await run('tango_admin', ['--ping-device', DEVICE, '5'])).code, 0);
});

test('without a defined device the start fails and says how to define one', { skip }, async () => {
  await assert.rejects(
    startServer(fx.kernel, ['--instance', `${INSTANCE}none`, '--tango-host', TANGO_HOST]),
    (e: Error) => /tango_admin --add-server NXSDataWriter\/nxswtest\d+none NXSDataWriter/.test(e.message),
  );
});
