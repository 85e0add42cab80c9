// Proof that a site extends nxsw without touching the kernel: the example plugin is packed with
// npm pack, installed into a fresh project together with the packed kernel and plugins, then
// discovered by `nxsw plugins` and used by `nxsw write`; the file is checked with h5py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { REPO, tempDir } from './scan.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');

test('the packed example plugin is discovered and used in a fresh project', { skip, timeout: 240_000 }, () => {
  const t = tempDir();
  try {
    const packs = join(t.dir, 'packs');
    mkdirSync(packs);
    for (const dir of ['core', 'plugins/source-json', 'plugins/sink-hdf5', 'examples/plugin-site-extras']) {
      execFileSync('npm', ['pack', '--silent', '--pack-destination', packs], { cwd: join(REPO, dir), stdio: ['ignore', 'pipe', 'pipe'] });
    }
    const tarballs = readdirSync(packs).map((f) => join(packs, f));
    assert.equal(tarballs.length, 4);
    const project = join(t.dir, 'site');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'site-project', version: '1.0.0', private: true, type: 'module' }));
    // --ignore-scripts: no native build (isolated-vm, for EVAL, which this project does not use;
    // source-json loads it only when a script runs)
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error', ...tarballs], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], timeout: 200_000 });
    const nxsw = join(project, 'node_modules', '.bin', 'nxsw');

    const listed = JSON.parse(execFileSync(nxsw, ['plugins', '--json'], { cwd: project, encoding: 'utf8' })) as { plugins: Array<{ name: string; status: string; origin: string; provides: unknown[] }> };
    const byName = new Map(listed.plugins.map((p) => [p.name, p]));
    for (const n of ['nxsw-plugin-site-extras', '@nxsw/source-json', '@nxsw/sink-hdf5']) {
      assert.equal(byName.get(n)?.status, 'loaded', `${n} is loaded: ${JSON.stringify(byName.get(n))}`);
    }
    assert.equal(byName.get('nxsw-plugin-site-extras')!.origin, 'installed');

    writeFileSync(join(project, 'config.xml'), `<definition><group type="NXentry" name="entry">
  <timestamp name="configured_at"/>
  <field name="operator"><strategy mode="INIT"/><datasource type="ENV"><record name="BEAMLINE_OPERATOR"/></datasource></field>
  <field name="x" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="x"/></datasource></field>
</group></definition>`);
    writeFileSync(join(project, 'records.jsonl'), '{"data":{"x":1.5}}\n{"data":{"x":2.5}}\n');
    const run = spawnSync(nxsw, ['write', 'config.xml', '--output', 'out.nxs', '--records', 'records.jsonl', '--json'], {
      cwd: project, encoding: 'utf8', env: { ...process.env, BEAMLINE_OPERATOR: 'Ada Lovelace' },
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout).records, 2);
    const h = readWithH5py(join(project, 'out.nxs'));
    assert.equal(h5get(h, 'entry/operator').value, 'Ada Lovelace');
    assert.match(String(h5get(h, 'entry/configured_at').value), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d{4}$/);
    assert.deepEqual(h5get(h, 'entry/x').value, [1.5, 2.5]);
  } finally {
    t.cleanup();
  }
});
