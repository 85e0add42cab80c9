// End-to-end: scans with TANGO fields read from a real TangoTest at INIT, STEP and FINAL, checked
// with h5py; then the device server is stopped in the middle of a scan and started again.
// The outage uses a TangoTest instance of its own (test/nxsw/e2e, server TangoTest/nxsw_e2e) so
// that tests sharing sys/tg_test/1 are not disturbed; it is registered and started the way
// scripts/tango-stack.sh starts sys/tg_test/1, and stopped by its PID.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { readWithH5py, h5get, haveH5py, serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { runScan, tempDir } from './scan.js';

const TANGO_HOST = process.env.TANGO_HOST || 'localhost:10000';
process.env.TANGO_HOST = TANGO_HOST;
const DEV = 'test/nxsw/e2e';
const SERVER = 'TangoTest/nxsw_e2e';
const TANGOTEST = '/usr/lib/tango/TangoTest';

function py<T>(code: string): T {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', `import json, tango\nout = None\n${code}\nprint(json.dumps(out))`], { encoding: 'utf8', env: process.env, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`PyTango failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
const pingDevice = () => spawnSync('tango_admin', ['--ping-device', DEV, '1'], { stdio: 'ignore', env: process.env, timeout: 5000 }).status === 0;
const dbUp = () => spawnSync('tango_admin', ['--ping-database', '1'], { stdio: 'ignore', env: process.env, timeout: 5000 }).status === 0;

let server: ChildProcess | undefined;

// runScan calls observe() without awaiting it, so starting and stopping block until done
function startServer(): void {
  server = spawn(TANGOTEST, ['nxsw_e2e'], { detached: true, stdio: 'ignore', env: process.env });
  server.unref();
  for (let i = 0; i < 120 && !pingDevice(); i++) spawnSync('sleep', ['0.25']);
  if (!pingDevice()) throw new Error(`${DEV} did not start`);
}

/** The PID of the running server, from the database (the process may come from an earlier run). */
function serverPid(): number | undefined {
  try {
    const pid = py<number>(`out = tango.Database().get_device_info('${DEV}').pid`);
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function stopServer(): void {
  const pid = pingDevice() ? serverPid() : undefined;
  server = undefined;
  if (!pid) return;
  const cmd = spawnSync('cat', [`/proc/${pid}/cmdline`], { encoding: 'utf8' }).stdout ?? '';
  if (!cmd.includes('nxsw_e2e')) throw new Error(`pid ${pid} is not the ${SERVER} server (${cmd})`);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 40 && pingDevice(); i++) spawnSync('sleep', ['0.25']);
  if (pingDevice()) process.kill(pid, 'SIGKILL');
}

const up = dbUp() && spawnSync('tango_admin', ['--help'], { stdio: 'ignore' }).error === undefined;
const skip = serviceSkip('Tango database (scripts/tango-stack.sh start)', up, `TANGO_HOST=${TANGO_HOST}`) ||
  serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');

before(async () => {
  if (skip) return;
  spawnSync('tango_admin', ['--add-server', SERVER, 'TangoTest', DEV], { stdio: 'ignore', env: process.env });
  if (!pingDevice()) startServer();
});
after(() => stopServer());

const field = (name: string, type: string, mode: string, record: string, extra = '', canfail = false) => `
  <field name="${name}" type="${type}"><strategy mode="${mode}"${canfail ? ' canfail="true"' : ''}/>
    <datasource type="TANGO"><device name="${DEV}" ${extra}/><record name="${record}"/></datasource></field>`;

test('a scan reads TANGO fields at INIT, STEP and FINAL (attributes, group, command, property)', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    py(`d = tango.DeviceProxy('${DEV}'); d.write_attribute('double_scalar_w', 3.25); d.write_attribute('short_spectrum', [1, -2, 3])
tango.Database().put_device_property('${DEV}', {'nxsw_label': ['beamline P09']}); out = 1`);
    const xml = `<definition><group type="NXentry" name="entry1"><group type="NXinstrument" name="instrument"><group type="NXcollection" name="tg">
      ${field('init_w', 'NX_FLOAT64', 'INIT', 'double_scalar_w')}
      ${field('long_w', 'NX_INT32', 'STEP', 'long_scalar_w', 'group="g"')}
      <field name="spectrum" type="NX_INT16"><strategy mode="STEP"/><dimensions rank="1"><dim index="1" value="3"/></dimensions>
        <datasource type="TANGO"><device name="${DEV}" group="g"/><record name="short_spectrum"/></datasource></field>
      ${field('state', 'NX_CHAR', 'STEP', 'State', 'group="g"')}
      ${field('status', 'NX_CHAR', 'FINAL', 'Status', 'member="command"')}
      ${field('label', 'NX_CHAR', 'FINAL', 'nxsw_label', 'member="property"')}
    </group></group></group></definition>`;
    const values = [11, 12, 13];
    const file = join(dir, 'scan.nxs');
    const { recordErrors } = await runScan({
      xml, fileName: file, canFail: false,
      records: values.map(() => ({ data: {} })),
      observe: (cmd) => {
        // each step's value is set before its Record
        if (cmd === 'OpenEntry' || cmd === 'Record') {
          const v = values.shift();
          if (v !== undefined) py(`tango.DeviceProxy('${DEV}').write_attribute('long_scalar_w', ${v}); out = 1`);
        }
      },
    });
    assert.deepEqual(recordErrors, []);
    const f = readWithH5py(file);
    const tg = 'entry1/instrument/tg';
    assert.deepEqual([h5get(f, `${tg}/init_w`).value].flat(), [3.25]);
    assert.deepEqual(h5get(f, `${tg}/long_w`).value, [11, 12, 13]);
    assert.equal(h5get(f, `${tg}/long_w`).dtype, 'int32');
    assert.deepEqual(h5get(f, `${tg}/spectrum`).value, [[1, -2, 3], [1, -2, 3], [1, -2, 3]]);
    const state = py<string>(`out = str(tango.DeviceProxy('${DEV}').state())`);
    assert.deepEqual(h5get(f, `${tg}/state`).value, [state, state, state]);
    assert.equal(h5get(f, `${tg}/status`).value, py<string>(`out = tango.DeviceProxy('${DEV}').status()`));
    assert.equal(h5get(f, `${tg}/label`).value, 'beamline P09');
    assert.match(String(h5get(f, `${tg}/long_w`).attrs.nexdatas_source?.value), /<device name="test\/nxsw\/e2e" group="g"/);
  } finally {
    cleanup();
  }
});

test('stopping the device mid-scan: canfail fields are filled and marked, others fail the Record, reads resume', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const xml = `<definition><group type="NXentry" name="entry1"><group type="NXcollection" name="tg">
      ${field('long_w', 'NX_INT32', 'STEP', 'long_scalar_w', '', true)}
      ${field('w', 'NX_FLOAT64', 'STEP', 'double_scalar_w', 'group="g"', true)}
      ${field('state', 'NX_CHAR', 'STEP', 'State', 'group="g"', true)}
      ${field('status', 'NX_CHAR', 'STEP', 'Status', 'member="command"', true)}
    </group></group></definition>`;
    py(`d = tango.DeviceProxy('${DEV}'); d.write_attribute('long_scalar_w', 5); d.write_attribute('double_scalar_w', 0.5); out = 1`);
    const file = join(dir, 'outage.nxs');
    let n = 0;
    const { recordErrors } = await runScan({
      xml, fileName: file, canFail: false, records: [{}, {}, {}],
      observe: (cmd) => {
        if (cmd !== 'Record') return;
        n++;
        if (n === 1) stopServer();
        if (n === 2) {
          startServer();
          // a fresh server starts with default values: set them again
          py(`d = tango.DeviceProxy('${DEV}'); d.write_attribute('long_scalar_w', 7); d.write_attribute('double_scalar_w', 0.75); out = 1`);
        }
      },
    });
    assert.deepEqual(recordErrors, []);
    const f = readWithH5py(file);
    const long = h5get(f, 'entry1/tg/long_w');
    assert.deepEqual(long.value, [5, 2147483647, 7]);
    assert.equal(long.attrs.nexdatas_canfail?.value, 'FAILED');
    const err = String(long.attrs.nexdatas_canfail_error?.value);
    assert.match(err, /Data for .*long_w not found\. DATASOURCE: TANGO Device test\/nxsw\/e2e : long_scalar_w \(attribute\)/);
    assert.match(err, /test\/nxsw\/e2e/);
    assert.deepEqual(h5get(f, 'entry1/tg/w').value, [0.5, 1.7976931348623157e308, 0.75]);
    const state = h5get(f, 'entry1/tg/state').value as string[];
    assert.equal(state[1], '');
    assert.ok(state[0] !== '' && state[2] !== '');
    const status = h5get(f, 'entry1/tg/status');
    assert.equal((status.value as string[])[1], '');
    assert.equal(status.attrs.nexdatas_canfail?.value, 'FAILED');
  } finally {
    cleanup();
    if (!pingDevice()) startServer();
  }
});

test('a non-canfail TANGO field of a stopped device fails the Record with a clear error', { skip }, async () => {
  const { dir, cleanup } = tempDir();
  try {
    const xml = `<definition><group type="NXentry" name="entry1">${field('long_w', 'NX_INT32', 'STEP', 'long_scalar_w')}</group></definition>`;
    let n = 0;
    const { recordErrors } = await runScan({
      xml, fileName: join(dir, 'fail.nxs'), canFail: false, records: [{}, {}],
      observe: (cmd) => {
        if (cmd === 'Record' && ++n === 1) stopServer();
      },
    });
    assert.equal(recordErrors.length, 1);
    const msg = String((recordErrors[0] as Error).message);
    assert.match(msg, /Data for .*long_w not found\. DATASOURCE: TANGO Device test\/nxsw\/e2e : long_scalar_w \(attribute\)/);
    assert.match(msg, /not exported|cannot connect|ECONNREFUSED|lost/i);
  } finally {
    cleanup();
    if (!pingDevice()) startServer();
  }
});
