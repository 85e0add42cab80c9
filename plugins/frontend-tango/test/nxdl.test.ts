// The device's NXDL report, driven by PyTango: XMLSettings computes it, NXDLReport exposes it as
// JSON, its findings go to the log, and NXDLStrict=true refuses a configuration that fails its
// application definition (off by default, so existing configurations keep working).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel, type ExtensionBase, type Logger } from '@nxsw/core';
import { serviceSkip } from '@nxsw/core/testkit';
import { REPO_ROOT, havePyTango, py, startServer } from './helpers.js';
import type { RunningTangoServer } from '../src/index.js';

const skip = serviceSkip('PyTango', havePyTango(), 'apt-get install python3-tango');
const warnings: string[] = [];
const log: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
let kernel: Kernel;
let lenient: RunningTangoServer;
let strict: RunningTangoServer;
const devLenient = `test/nxdl${process.pid}/1`;
const devStrict = `test/nxdl${process.pid}/2`;

const VALID = readFileSync(join(REPO_ROOT, 'examples/nxxas/nxxas.xml'), 'utf8');
// the monitor's preset removed: NXxas requires it
const INVALID = VALID.replace(/<field name="preset"[^>]*>[^<]*<\/field>/, '');

before(async () => {
  if (skip) return;
  const installed = await Kernel.start({ cwd: REPO_ROOT });
  const all: ExtensionBase[] = [];
  for (const kind of ['datasource', 'sink', 'tag', 'decoder']) all.push(...installed.list(kind));
  kernel = Kernel.withExtensions(all, log);
  lenient = await startServer(kernel, ['--nodb', '--port', '0', '--device', devLenient, '--publish-host', '127.0.0.1']);
  strict = await startServer(kernel, ['--nodb', '--port', '0', '--device', devStrict, '--publish-host', '127.0.0.1', '--property', 'NXDLStrict=true']);
});

after(async () => {
  if (skip) return;
  await lenient.stop();
  await strict.stop();
  await kernel.stop();
});

test('XMLSettings computes the NXDL report; NXDLReport shows it; warnings go to the log', { skip }, async () => {
  assert.notEqual(INVALID, VALID);
  warnings.length = 0;
  const out = await py(lenient.urls[0]!, `dev.Init()
out["before"] = dev.NXDLReport
dev.XMLSettings = ${JSON.stringify(INVALID)}
out["invalid"] = json.loads(dev.NXDLReport)
out["xml_taken"] = dev.XMLSettings == ${JSON.stringify(INVALID)}
dev.XMLSettings = ${JSON.stringify(VALID)}
out["valid"] = json.loads(dev.NXDLReport)
`);
  assert.equal(out.before, '{}');
  const invalid = out.invalid as { ok: boolean; entries: unknown[]; findings: Array<{ severity: string; code: string; definition: string; where: { line: number; path: string } }> };
  assert.equal(invalid.ok, false);
  assert.deepEqual(invalid.entries, [{ path: '/definition/group[entry:NXentry]', application: 'NXxas', from: 'definition' }]);
  assert.deepEqual(invalid.findings.map((f) => [f.severity, f.code, f.definition, f.where.path]),
    [['error', 'MISSING_FIELD', 'NXxas/ENTRY/MONITOR/preset', '/definition/group[entry:NXentry]/group[monitor:NXmonitor]']]);
  assert.equal(out.xml_taken, true, 'by default a configuration that fails its application definition is still taken');
  assert.equal((out.valid as { ok: boolean }).ok, true);
  assert.ok(warnings.some((w) => w.includes(devLenient) && /error \[MISSING_FIELD\].*NXxas\/ENTRY\/MONITOR\/preset/.test(w)), warnings.join('\n'));
});

test('NXDLStrict=true refuses a configuration that fails its application definition', { skip }, async () => {
  const out = await py(strict.urls[0]!, `dev.Init()
dev.XMLSettings = ${JSON.stringify(VALID)}
out["refused"] = reason(setattr, dev, "XMLSettings", ${JSON.stringify(INVALID)})
out["kept"] = dev.XMLSettings == ${JSON.stringify(VALID)}
out["report_ok"] = json.loads(dev.NXDLReport)["ok"]
try:
    dev.XMLSettings = ${JSON.stringify(INVALID)}
except tango.DevFailed as e:
    out["desc"] = e.args[0].desc
out["state"] = st()
`);
  assert.equal(out.refused, 'CONFIG_INVALID');
  assert.equal(out.kept, true);
  assert.equal(out.report_ok, true, 'the report stays the one of the configuration in force');
  assert.match(String(out.desc), /does not meet its application definition \(NXDLStrict\): required field 'preset' \(NXxas\/ENTRY\/MONITOR\/preset\) is missing/);
  assert.equal(out.state, 'ON');
});
