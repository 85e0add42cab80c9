// PYEVAL's Landlock sandbox in whole scans: the options from the server configuration and the
// command line, a scan whose scripts attack the server (it goes on, canfail marks the fields, the
// file says why), the operator's writable path, and sandbox false.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_PYTHON, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { Kernel, WriterSession, parseChoices } from '@nxsw/core';
import { REPO, tempDir } from './scan.js';

const abi = (() => {
  try {
    const dir = join(REPO, 'plugins', 'source-python', 'python');
    return Number(execFileSync(SYSTEM_PYTHON, ['-c', 'from nxsw_python import sandbox; print(sandbox.abi_version()[0])'], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: dir } }).trim());
  } catch {
    return 0;
  }
})();
const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || (abi >= 6 ? false : `this kernel's Landlock ABI is ${abi}; the sandbox's whole policy needs 6 (Linux 6.12)`);

/** runs a Python snippet with Debian's h5py and returns its JSON output */
function py(code: string, ...args: string[]): any {
  return JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', code, ...args], { encoding: 'utf8' }));
}

const field = (name: string, script: string) => `<field name="${name}" type="NX_CHAR"><strategy mode="STEP" canfail="true"/><datasource type="PYEVAL"><result name="r">
${script}
</result></datasource></field>`;

test('a scan whose scripts attack the server: it keeps writing, the fields carry canfail markers saying the sandbox refused; a writable path from pluginOptions works', { skip }, async () => {
  const t = tempDir();
  const allowed = join(t.dir, 'allowed');
  execFileSync('mkdir', [allowed]);
  const kernel = await Kernel.start({ cwd: REPO, choose: parseChoices(), pluginOptions: { '@nxsw/source-python': { writablePaths: [allowed] } } });
  try {
    const s = new WriterSession({ extensions: kernel });
    s.setFileName(join(t.dir, 'scan.nxs'));
    await s.openFile();
    s.setXmlSettings(`<definition><group type="NXentry" name="entry1">
${field('kill', 'import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nds.r = "killed"')}
${field('outside', `open(${JSON.stringify(join(t.dir, 'pwned'))}, "w").write("x")\nds.r = "wrote"`)}
${field('program', `import subprocess\nsubprocess.call(["touch", ${JSON.stringify(join(t.dir, 'ran'))}])\nds.r = "ran"`)}
${field('inside', `open(${JSON.stringify(join(allowed, 'note.txt'))}, "w").write("from the scan")\nds.r = "wrote inside"`)}
${field('reads', 'ds.r = open("/etc/hostname").read().strip() and "read"')}
</group></definition>`);
    await s.openEntry();
    await s.record('{}');
    await s.record('{}');
    await s.closeEntry();
    await s.closeFile();
    assert.equal(existsSync(join(t.dir, 'pwned')), false);
    assert.equal(existsSync(join(t.dir, 'ran')), false);
    assert.equal(readFileSync(join(allowed, 'note.txt'), 'utf8'), 'from the scan');
    const r = py(`import h5py, json, sys
e = h5py.File(sys.argv[1])["entry1"]
out = {}
for k in ("kill", "outside", "program", "inside", "reads"):
    d = e[k]
    out[k] = [[v.decode() if isinstance(v, bytes) else v for v in d[()].tolist()], d.attrs.get("nexdatas_canfail_error", b"")]
    out[k][1] = out[k][1].decode() if isinstance(out[k][1], bytes) else str(out[k][1])
print(json.dumps(out))`, join(t.dir, 'scan.nxs'));
    assert.deepEqual(r.inside[0], ['wrote inside', 'wrote inside']);
    assert.deepEqual(r.reads[0], ['read', 'read']);
    for (const k of ['kill', 'outside', 'program']) {
      assert.match(r[k][1], /the PYEVAL script at line \d+ of .*field\[.*\].* failed: PermissionError: .*refused by the Python sandbox \(Landlock\).*option writablePaths of @nxsw\/source-python/, k);
    }
  } finally {
    await kernel.stop();
    t.cleanup();
  }
});

test('nxsw write: the sandbox by default, --plugin-option sandbox=false switches it off, a wrong value is refused', { skip }, () => {
  const t = tempDir();
  try {
    const cli = join(REPO, 'core/dist/src/cli/main.js');
    const target = join(t.dir, 'written-by-a-script');
    const xml = `<definition><group type="NXentry" name="entry1"><field name="v" type="NX_CHAR"><strategy mode="INIT"/><datasource type="PYEVAL"><result>open(${JSON.stringify(target)}, "w").write("x")\nds.result = "wrote"</result></datasource></field></group></definition>`;
    // the server's temp folder, where each confined worker gets a folder of its own
    const serverTmp = join(t.dir, 'tmp');
    mkdirSync(serverTmp);
    const run = (out: string, ...options: string[]) => {
      const r = spawnSync(process.execPath, ['--no-node-snapshot', cli, 'write', '-', '--output', join(t.dir, out), ...options.flatMap((o) => ['--plugin-option', `@nxsw/source-python.${o}`])], { input: xml, encoding: 'utf8', env: { ...process.env, TMPDIR: serverTmp } });
      return { code: r.status, err: r.stderr };
    };
    const confined = run('a.nxs');
    assert.equal(confined.code, 1);
    assert.match(confined.err, /PermissionError: \[Errno 13\] Permission denied: '.*written-by-a-script' \(refused by the Python sandbox \(Landlock\)/);
    assert.equal(existsSync(target), false);
    const writable = run('b.nxs', `writablePaths=${JSON.stringify([t.dir])}`);
    assert.equal(writable.code, 0, writable.err);
    assert.equal(readFileSync(target, 'utf8'), 'x');
    writeFileSync(target, '');
    const off = run('c.nxs', 'sandbox=false');
    assert.equal(off.code, 0, off.err);
    assert.equal(readFileSync(target, 'utf8'), 'x');
    assert.deepEqual(readdirSync(serverTmp), [], 'the workers\' temp folders went with them');
    const bad = run('d.nxs', 'sandbox=maybe');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /@nxsw\/source-python.*sandbox/);
  } finally {
    t.cleanup();
  }
});
