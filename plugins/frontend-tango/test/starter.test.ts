// Debian's Tango Starter (tango-starter 9.3) launching the NXSDataWriter executable from the
// package's bin folder: DevStart runs it, Starter sees it running by its process title, the
// device answers PyTango, DevStop stops it through the admin device's Kill and it is unexported.
// Also the executable's standard Tango command line, without Starter.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { serviceSkip } from '@nxsw/core/testkit';
import { havePyTango, py, REPO_ROOT } from './helpers.js';
import { tangoServerArgs } from '../src/args.js';

const TANGO_HOST = process.env.TANGO_HOST ?? 'localhost:10000';
const env = { ...process.env, TANGO_HOST };
const STARTER = '/usr/lib/tango/Starter';
const BIN = join(REPO_ROOT, 'plugins', 'frontend-tango', 'bin');
const dbUp = spawnSync('tango_admin', ['--ping-database', '2'], { env, stdio: 'ignore', timeout: 10_000 }).status === 0;
const skip = serviceSkip('Tango Starter with a Tango database and PyTango', dbUp && havePyTango() && existsSync(STARTER),
  `TANGO_HOST=${TANGO_HOST}; scripts/tango-stack.sh start installs tango-starter`);

// Starter insists on running as Starter/<this host> with the device tango/admin/<this host>
const HOST = hostname().split('.')[0];
const STARTER_DEVICE = `tango/admin/${HOST}`;
const INSTANCE = `nxswstarter${process.pid}`;
const SERVER = `NXSDataWriter/${INSTANCE}`;
const DEVICE = `test/nxswstarter/${process.pid}`;
let starter: ChildProcess | undefined;
let definedStarter = false;

function admin(...args: string[]): Promise<number> {
  return new Promise((resolve) => execFile('tango_admin', args, { env, timeout: 30_000 }, (err) => resolve(err ? 1 : 0)));
}

before(async () => {
  if (skip) return;
  if (await admin('--ping-device', STARTER_DEVICE, '1') === 0) throw new Error(`a Starter already serves ${STARTER_DEVICE}; stop it to run this test`);
  if (await admin('--check-device', STARTER_DEVICE) !== 0) {
    assert.equal(await admin('--add-server', `Starter/${HOST}`, 'Starter', STARTER_DEVICE), 0);
    definedStarter = true;
  }
  assert.equal(await admin('--add-property', STARTER_DEVICE, 'StartDsPath', BIN), 0);
  assert.equal(await admin('--add-server', SERVER, 'NXSDataWriter', DEVICE), 0);
  starter = spawn(STARTER, [HOST], { env, stdio: 'ignore' });
  for (let i = 0; i < 60 && await admin('--ping-device', STARTER_DEVICE, '1') !== 0; i++) await new Promise((r) => setTimeout(r, 500));
});

after(async () => {
  if (skip) return;
  starter?.kill('SIGTERM');
  await admin('--delete-server', SERVER, '--with-properties');
  if (definedStarter) await admin('--delete-server', `Starter/${HOST}`, '--with-properties');
});

test('Starter starts NXSDataWriter from StartDsPath, sees it running, and DevStop stops and unexports it', { skip }, async () => {
  const out = await py(STARTER_DEVICE, `
st = dev
srv = ${JSON.stringify(SERVER)}
def running():
    return srv in list(st.DevGetRunningServers(True))
out["before"] = running()
st.DevStart(srv)
end = time.time() + 30
while not running() and time.time() < end:
    time.sleep(0.2)
out["running"] = running()
w = tango.DeviceProxy(${JSON.stringify(DEVICE)})
out["state"] = str(w.state())
out["adm"] = w.adm_name()
st.DevStop(srv)
end = time.time() + 30
while running() and time.time() < end:
    time.sleep(0.2)
out["stopped"] = not running()
time.sleep(0.5)
out["exported"] = tango.Database().get_device_info(${JSON.stringify(DEVICE)}).exported
`, env, 90_000);
  assert.equal(out.before, false);
  assert.equal(out.running, true, 'Starter lists the server as running (process title NXSDataWriter INSTANCE)');
  assert.equal(out.state, 'ON');
  assert.equal(String(out.adm).toLowerCase(), `dserver/${SERVER}`.toLowerCase());
  assert.equal(out.stopped, true);
  assert.equal(out.exported, 0);
});

test('the executable takes the standard Tango command line; its process title is "NXSDataWriter INSTANCE"', { skip }, async () => {
  assert.deepEqual(tangoServerArgs(['beamline', '-v4']), { serve: ['--instance', 'beamline'], verbosity: 4 });
  assert.deepEqual(tangoServerArgs(['t1', '-nodb', '-dlist', 'a/b/c,d/e/f', '-ORBendPoint', 'giop:tcp::12345']),
    { serve: ['--port', '12345', '--instance', 't1', '--nodb', '--device', 'a/b/c', '--device', 'd/e/f'], verbosity: 0 });
  assert.deepEqual(tangoServerArgs(['t1', '-ORBendPoint', 'giop:tcp:10.0.0.5:2000', '-ORBendPointPublish', 'giop:tcp:myhost:2000']).serve,
    ['--host', '10.0.0.5', '--port', '2000', '--publish-host', 'myhost', '--instance', 't1']);
  assert.throws(() => tangoServerArgs([]), /instance name is missing/);
  assert.throws(() => tangoServerArgs(['t1', '-nodb']), /-nodb needs -dlist/);
  assert.throws(() => tangoServerArgs(['t1', '-file=/x']), /unsupported option -file=\/x/);

  const child = spawn(join(BIN, 'NXSDataWriter'), [`nodb${process.pid}`, '-nodb', '-dlist', `test/nxswlaunch/${process.pid}`, '-ORBendPoint', 'giop:tcp::0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => { err += b.toString(); });
  try {
    for (let i = 0; i < 100 && !/listening on port \d+/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
    const port = /listening on port (\d+)/.exec(err)?.[1];
    assert.ok(port, err);
    const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, 'latin1').replace(/\0+/g, ' ').trim();
    assert.equal(cmdline, `NXSDataWriter nodb${process.pid}`);
    const out = await py(`tango://127.0.0.1:${port}/test/nxswlaunch/${process.pid}#dbase=no`, 'out["state"] = st()\ntango.DeviceProxy(dev.adm_name()).Kill()', env);
    assert.equal(out.state, 'ON');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    assert.equal(code, 0, 'Kill ends the process cleanly');
  } finally {
    child.kill('SIGKILL');
  }
});
