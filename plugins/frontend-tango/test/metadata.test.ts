// The MetadataOutput property: a PyTango client's scan leaves <file>.<entry>.json beside the file
// at CloseEntry, as the reference's device server does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { XML_C1, havePyTango, py, startServer, testKernel } from './helpers.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');

test('MetadataOutput=file: CloseEntry writes the SciCat metadata of the entry', { skip, timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-tango-meta-'));
  const kernel = await testKernel();
  const srv = await startServer(kernel, ['--nodb', '--port', '0', '--device', 'test/nxsw/meta', '--publish-host', '127.0.0.1', '--property', 'MetadataOutput=file']);
  try {
    const file = join(dir, 'scan_00005.nxs');
    const out = await py(`tango://127.0.0.1:${srv.port}/test/nxsw/meta#dbase=no`, `
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
dev.XMLSettings = ${JSON.stringify(XML_C1)}
dev.OpenEntry()
for i in range(3):
    dev.Record(json.dumps({"data": {"c1": 1.5 + i}}))
dev.CloseEntry()
import os
out["after_close_entry"] = os.path.exists(${JSON.stringify(`${file}.entry1.json`)})
dev.CloseFile()
out["state"] = st()
`);
    assert.equal(out.after_close_entry, true);
    assert.equal(out.state, 'ON');
    const md = JSON.parse(readFileSync(`${file}.entry1.json`, 'utf8')) as { scientificMetadata: { name: string; c1: { shape: number[]; strategy: string } } };
    assert.equal(md.scientificMetadata.name, 'entry1');
    assert.deepEqual(md.scientificMetadata.c1.shape, [3]);
    assert.equal(md.scientificMetadata.c1.strategy, 'STEP');
    assert.ok(!existsSync(join(dir, 'scan_00005.nxs.nexus_logs.json')));
  } finally {
    await srv.stop();
    await kernel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
