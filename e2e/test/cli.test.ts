// The nxsw command line: usage, exit codes, clear errors, and the README's example.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkPlugin } from '@nxsw/core/conformance';
import { readWithH5py, h5get, haveH5py, serviceSkip, SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { REPO, tempDir } from './scan.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py');
const CLI = join(REPO, 'core/dist/src/cli/main.js');

function nxsw(args: string[], input?: string, cwd = REPO) {
  const r = spawnSync(process.execPath, ['--no-node-snapshot', CLI, ...args], { cwd, input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const XML = `<definition><group type="NXentry" name="entry1">
  <field name="x" type="NX_FLOAT" units="mm"><strategy mode="STEP"/><datasource type="CLIENT"><record name="x"/></datasource></field>
</group></definition>`;

test('--help and usage errors', () => {
  const h = nxsw(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.out, /nxsw write CONFIG\.xml --output OUT\.nxs/);
  assert.equal(nxsw([]).code, 2);
  const bad = nxsw(['write', 'a.xml']);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /write needs --output FILE/);
  assert.equal(nxsw(['frobnicate']).code, 2);
  assert.match(nxsw(['write', 'a.xml', '-o', 'x.nxs', '--steps-per-file', 'two']).err, /--steps-per-file must be a non-negative integer/);
  const keep = nxsw(['write', 'a.xml', '-o', 'x.nxs', '--keep-serving']);
  assert.equal(keep.code, 2);
  assert.match(keep.err, /--keep-serving needs --http/);
});

test('bad XML from standard input: exit 1, line and column, no file written', () => {
  const t = tempDir();
  try {
    const out = join(t.dir, 'never.nxs');
    const r = nxsw(['write', '-', '--output', out], '<definition>\n  <group type="NXentry">\n    <field name="x">1</fieldd>\n</definition>');
    assert.equal(r.code, 1);
    assert.match(r.err, /CONFIG_SYNTAX.*Unexpected close tag.*line 3, column \d+, at \/definition\/group\[:NXentry\]\/field\[x\]/);
    assert.equal(existsSync(out), false);
  } finally {
    t.cleanup();
  }
});

test('an unknown datasource type names the installed types; nothing is written for it', () => {
  const t = tempDir();
  try {
    const cfg = join(t.dir, 'c.xml');
    writeFileSync(cfg, XML.replace('type="CLIENT"', 'type="KAFKA"'));
    const r = nxsw(['write', cfg, '--output', join(t.dir, 'o.nxs')]);
    assert.equal(r.code, 1);
    assert.match(r.err, /unknown datasource type 'KAFKA'; installed types: .*CLIENT \(@nxsw\/source-json\)/);
  } finally {
    t.cleanup();
  }
});

test('bad JSON on a record line: exit 1 naming the line; the file keeps the steps before it', { skip }, () => {
  const t = tempDir();
  try {
    const cfg = join(t.dir, 'c.xml');
    const recs = join(t.dir, 'r.jsonl');
    const out = join(t.dir, 'o.nxs');
    writeFileSync(cfg, XML);
    writeFileSync(recs, '{"data":{"x":1}}\n\n{"data":{"x":2}}\n{"data": {"x": 3}\n{"data":{"x":4}}\n');
    const r = nxsw(['write', cfg, '--output', out, '--records', recs]);
    assert.equal(r.code, 1);
    assert.match(r.err, /r\.jsonl line 4: Record argument is not valid JSON/);
    assert.deepEqual(h5get(readWithH5py(out), 'entry1/x').value, [1, 2]);
  } finally {
    t.cleanup();
  }
});

test('--steps-per-file, --can-fail and --json', { skip }, () => {
  const t = tempDir();
  try {
    const cfg = join(t.dir, 'c.xml');
    const recs = join(t.dir, 'r.jsonl');
    writeFileSync(cfg, XML.replace('<strategy mode="STEP"/>', '<strategy mode="STEP"/>'));
    writeFileSync(recs, '{"data":{"x":1}}\n{}\n{"data":{"x":3}}\n');
    const r = nxsw(['write', cfg, '--output', join(t.dir, 's.nxs'), '--records', recs, '--steps-per-file', '2', '--can-fail', '--json']);
    assert.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out) as { files: string[]; records: number };
    assert.equal(summary.records, 3);
    assert.deepEqual(summary.files, [join(t.dir, 's_00001.nxs'), join(t.dir, 's_00002.nxs')]);
    assert.deepEqual(h5get(readWithH5py(summary.files[0]!), 'entry1/x').value, [1, 1.7976931348623157e308]);
    assert.deepEqual(h5get(readWithH5py(summary.files[1]!), 'entry1/x').value, [3]);
  } finally {
    t.cleanup();
  }
});

test("the README's example writes the expected tree", { skip }, () => {
  const t = tempDir();
  try {
    const out = join(t.dir, 'example.nxs');
    const r = nxsw(['write', 'examples/scan/scan.xml', '--output', out, '--global', 'examples/scan/global.json', '--records', 'examples/scan/records.jsonl', '--final', 'examples/scan/final.json']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /wrote 20 records to .*example\.nxs/);
    const h = readWithH5py(out);
    assert.equal(h5get(h, 'entry1/title').value, 'Strain in Si(111) under heating');
    assert.equal(h5get(h, 'entry1/sample/name').value, 'Si(111) wafer');
    assert.equal(h5get(h, 'entry1/end_time').value, '2026-11-25T10:05:00.000000+0100');
    assert.deepEqual(h5get(h, 'entry1/instrument/detector/mca').shape, [20, 16]);
    assert.equal(h5get(h, 'entry1/instrument/detector/mca').compression, 'gzip');
    assert.deepEqual((h5get(h, 'entry1/sample/temperature').value as number[]).slice(0, 2), [295.01, 295.02]);
    assert.equal(h5get(h, 'entry1/data/counter1').target, '/entry1/instrument/detector/counter1');
    assert.equal(h5get(h, 'entry1/data').attrs.signal!.value, 'counter1');
    assert.equal(h5get(h, 'entry1/data/mca').resolved!.dtype, 'int32');
  } finally {
    t.cleanup();
  }
});

test('nxsw plugins --json lists the built-in plugins and the installed example plugin; one HDF5 sink serves, the other says why not', () => {
  const r = nxsw(['plugins', '--json']);
  assert.equal(r.code, 0);
  const list = JSON.parse(r.out) as { kernelApi: string; plugins: Array<{ name: string; status: string; reason?: string }> };
  assert.equal(list.kernelApi, '1.0.0');
  for (const n of ['@nxsw/source-json', '@nxsw/source-python', '@nxsw/source-sql', '@nxsw/source-tango', '@nxsw/frontend-tango', 'nxsw-plugin-site-extras']) {
    const p = list.plugins.find((x) => x.name === n);
    assert.equal(p?.status, 'loaded', `${n}: ${p?.reason ?? 'not listed'}`);
  }
  const sinks = list.plugins.filter((x) => x.name === '@nxsw/sink-hdf5' || x.name === '@nxsw/sink-hdf5-native');
  assert.equal(sinks.length, 2);
  assert.equal(sinks.filter((x) => x.status === 'loaded').length, 1, JSON.stringify(sinks));
  const other = sinks.find((x) => x.status !== 'loaded')!;
  assert.match(other.reason!, /served by|could not load|loading failed|chooses/);
});

test('the example plugin passes the conformance kit', async () => {
  const report = await checkPlugin({
    packageDir: join(REPO, 'examples/plugin-site-extras'),
    datasource: { ENV: { valid: '<datasource type="ENV"><record name="PATH"/></datasource>', invalid: '<datasource type="ENV"/>' } },
    tag: { timestamp: '<definition><group type="NXentry"><timestamp name="t"/></group></definition>' },
  });
  assert.deepEqual(report.checked, ['datasource:ENV', 'tag:timestamp']);
});

test('nxsw check validates a configuration and its datasources without writing', () => {
  const ok = nxsw(['check', 'examples/scan/scan.xml', '--json']);
  assert.equal(ok.code, 0, ok.err);
  const summary = JSON.parse(ok.out) as { fields: number; links: number; modes: Record<string, number>; sources: Record<string, number> };
  assert.equal(summary.fields, 7);
  assert.equal(summary.links, 2);
  assert.deepEqual(summary.modes, { INIT: 3, FINAL: 1, STEP: 3 });
  assert.deepEqual(summary.sources, { DB: 1, CLIENT: 5, EVAL: 1 });
  const bad = nxsw(['check', '-'], '<definition>\n<group type="NXentry"><field name="x">\n<datasource type="DB"><database dbtype="PGSQL"/></datasource></field></group></definition>');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /DATASOURCE_CONFIG.*Database query or its format not defined \(line 3, column \d+, at \/definition\/group\[:NXentry\]\/field\[x\]\/datasource\)/);
});

test('input limits: nxsw check and nxsw write refuse at once with the limit and the place; --limit and the configuration file change them', () => {
  const rank = (n: number) => `<definition>\n<group type="NXentry"><field name="x" type="NX_INT"><dimensions rank="${n}"/>1</field></group></definition>`;
  const attack = nxsw(['check', '-'], rank(2147483648));
  assert.equal(attack.code, 1);
  assert.match(attack.err, /\[LIMIT_EXCEEDED\]: rank 2147483648 is more than 32 \(HDF5's maximum rank\).*line 2, column \d+, at \/definition\/group\[:NXentry\]\/field\[x\]\/dimensions/);
  assert.equal(nxsw(['check', '-'], rank(3)).code, 0);
  assert.match(nxsw(['check', '-', '--limit', 'rank=2'], rank(3)).err, /rank 3 is more than 2 \(limit rank/);
  const t = tempDir();
  try {
    const config = join(t.dir, 'server.json');
    writeFileSync(config, JSON.stringify({ limits: { jsonDepth: 2 } }));
    writeFileSync(join(t.dir, 'c.xml'), XML);
    writeFileSync(join(t.dir, 'r.jsonl'), '{"data": {"x": 1}}\n{"data": {"x": [[1]]}}\n');
    const out = join(t.dir, 'o.nxs');
    const w = nxsw(['write', join(t.dir, 'c.xml'), '-o', out, '-r', join(t.dir, 'r.jsonl'), '--config', config]);
    assert.equal(w.code, 1);
    assert.match(w.err, /\[LIMIT_EXCEEDED\]: .*r\.jsonl line 2: Record argument: objects and arrays nest more than 2 deep at line 1, column 16, inside data\.x \(limit jsonDepth/);
    assert.match(nxsw(['check', 'c.xml', '--limit', 'ranks=3'], undefined, t.dir).err, /unknown limit 'ranks'/);
  } finally {
    t.cleanup();
  }
});

test('plugins named by NXSW_PLUGINS, --plugin and a server configuration file; choose and disable', () => {
  const t = tempDir();
  try {
    const example = join(REPO, 'examples/plugin-site-extras');
    const viaEnv = spawnSync(process.execPath, ['--no-node-snapshot', CLI, 'plugins', '--json'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, NXSW_PLUGINS: example } });
    const listed = JSON.parse(viaEnv.stdout) as { plugins: Array<{ name: string; status: string; origin: string; reason?: string }> };
    const ex = listed.plugins.find((p) => p.name === 'nxsw-plugin-site-extras');
    assert.equal(ex?.status, 'loaded');
    assert.equal(ex?.origin, 'explicit');

    const config = join(t.dir, 'nxsw.json');
    writeFileSync(config, JSON.stringify({ plugins: [example], pluginOptions: { 'nxsw-plugin-site-extras': { allow: 42 } }, disable: ['@nxsw/source-sql'] }));
    const r = nxsw(['plugins', '--json', '--config', config]);
    const list2 = JSON.parse(r.out) as typeof listed;
    assert.match(list2.plugins.find((p) => p.name === 'nxsw-plugin-site-extras')!.reason!, /options are invalid: options\/allow must be array/);
    assert.equal(list2.plugins.find((p) => p.name === '@nxsw/source-sql')!.status, 'disabled');

    writeFileSync(config, '{"plugins": [], "colour": "blue"}');
    const bad = nxsw(['plugins', '--config', config]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /unknown key\(s\) colour/);
    assert.match(nxsw(['plugins', '--choose', 'CLIENT=x']).err, /--choose 'CLIENT=x' must look like kind:name=plugin/);
  } finally {
    t.cleanup();
  }
});

test('a writer killed mid-scan leaves a file h5py reads up to the last Record, and no lock: the next writer works', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const cfg = join(t.dir, 'c.xml');
    const out = join(t.dir, 'crash.nxs');
    writeFileSync(cfg, XML);
    const child = spawn(process.execPath, ['--no-node-snapshot', CLI, 'write', cfg, '--output', out, '--records', '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    for (let i = 1; i <= 3; i++) child.stdin.write(`{"data":{"x":${i}}}\n`);
    // wait until the third Record is in the file, as another process sees it
    let rows: unknown = [];
    for (let k = 0; k < 200 && JSON.stringify(rows) !== '[1,2,3]'; k++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        rows = h5get(readWithH5py(out, { unlocked: true }), 'entry1/x').value;
      } catch {
        rows = [];
      }
    }
    assert.deepEqual(rows, [1, 2, 3]);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(h5get(readWithH5py(out), 'entry1/x').value, [1, 2, 3]);
    // HDF5's lock died with the writer: h5py opens the file for writing, and nothing stale is left
    const h5pyAppend = spawnSync(SYSTEM_PYTHON, ['-c', 'import h5py, sys; h5py.File(sys.argv[1], "a").close()', out], { encoding: 'utf8' });
    assert.equal(h5pyAppend.status, 0, h5pyAppend.stderr);
    assert.equal(existsSync(`${out}.lock`), false);
    const next = nxsw(['write', cfg, '--output', `${out}:/second:NXentry`, '--records', '/dev/null']);
    assert.equal(next.code, 0, next.err);
    assert.deepEqual(h5get(readWithH5py(out), 'entry1/x').value, [1, 2, 3]);
  } finally {
    t.cleanup();
  }
});

test('a server configuration with scripts off refuses EVAL and PYEVAL at check, saying how to enable them', () => {
  const t = tempDir();
  try {
    for (const [type, plugin, what] of [['EVAL', '@nxsw/source-json', 'EVAL scripts'], ['PYEVAL', '@nxsw/source-python', 'PYEVAL scripts \\(and Python datasource and decoder classes\\)']]) {
      const cfg = join(t.dir, `${type}.xml`);
      writeFileSync(cfg, `<definition><group type="NXentry" name="entry1"><field name="y" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="${type}"><result name="y">ds.y = 2</result></datasource></field></group></definition>`);
      const server = join(t.dir, `${type}-server.json`);
      writeFileSync(server, JSON.stringify({ pluginOptions: { [plugin]: { scripts: false } } }));
      assert.equal(nxsw(['check', cfg]).code, 0, `${type} scripts run by default`);
      const off = nxsw(['check', cfg, '--config', server]);
      assert.equal(off.code, 1);
      const pluginRe = plugin.replace('/', '\\/');
      assert.match(off.err, new RegExp(`DATASOURCE_CONFIG.*${what} are disabled on this server; an operator enables them with "pluginOptions": \\{"${pluginRe}": \\{"scripts": true\\}\\}.*line 1`));
    }
  } finally {
    t.cleanup();
  }
});

test('a fresh copy of the repository: npm ci links node_modules/.bin/nxsw before the build, and npx nxsw runs once built', { timeout: 240_000 }, () => {
  const t = tempDir();
  try {
    // the repository's files as a clone has them (tracked files, with their modes)
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const f of files) {
      if (!existsSync(join(REPO, f))) continue; // deleted in the working tree
      mkdirSync(dirname(join(t.dir, f)), { recursive: true });
      copyFileSync(join(REPO, f), join(t.dir, f));
    }
    // scripts/setup.sh's install step (scripts skipped: native modules are not needed here)
    execFileSync('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: t.dir, stdio: ['ignore', 'pipe', 'pipe'], timeout: 200_000 });
    const bin = join(t.dir, 'node_modules', '.bin', 'nxsw');
    assert.ok(existsSync(bin), 'npm ci created node_modules/.bin/nxsw');
    assert.equal(realpathSync(bin), realpathSync(join(t.dir, 'core', 'bin', 'nxsw.js')));
    const unbuilt = spawnSync('npx', ['nxsw', '--help'], { cwd: t.dir, encoding: 'utf8' });
    assert.equal(unbuilt.status, 1);
    assert.match(unbuilt.stderr, /not built yet: run `npm run build`/);
    // setup.sh's build step; the repository's own build stands in for it
    symlinkSync(join(REPO, 'core', 'dist'), join(t.dir, 'core', 'dist'));
    const built = spawnSync('npx', ['nxsw', '--help'], { cwd: t.dir, encoding: 'utf8' });
    assert.equal(built.status, 0, built.stderr);
    assert.match(built.stdout, /nxsw write CONFIG\.xml --output OUT\.nxs/);
  } finally {
    t.cleanup();
  }
});

test("the README's npx commands run as typed inside the repository", { skip }, () => {
  const t = tempDir();
  try {
    const out = join(t.dir, 'scan.nxs');
    const check = spawnSync('npx', ['nxsw', 'check', 'examples/scan/scan.xml'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    const write = spawnSync('npx', ['nxsw', 'write', 'examples/scan/scan.xml', '--output', out, '--global', 'examples/scan/global.json',
      '--records', 'examples/scan/records.jsonl', '--final', 'examples/scan/final.json'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(write.status, 0, write.stderr);
    assert.equal(readWithH5py(out).attrs.NX_class!.value, 'NXroot');
    const plugins = spawnSync('npx', ['nxsw', 'plugins'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(plugins.status, 0, plugins.stderr);
    assert.match(plugins.stdout, /@nxsw\/sink-hdf5/);
  } finally {
    t.cleanup();
  }
});
