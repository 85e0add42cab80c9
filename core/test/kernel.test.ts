import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel } from '../src/kernel/kernel.js';
import { tempDir, writePlugin, constantSourceEntry, CORE_URL } from './helpers.js';

const manifest = (provides: Array<{ kind: string; name: string }>, extra: Record<string, unknown> = {}) => ({ api: '^1.0.0', entry: './index.js', provides, ...extra });

test('loads a good plugin and refuses bad ones with a reason, the rest keep working', async () => {
  const t = tempDir();
  try {
    const good = writePlugin(t.dir, 'good-plugin', manifest([{ kind: 'datasource', name: 'CONST' }]), constantSourceEntry('CONST', 4.5));
    const future = writePlugin(t.dir, 'future-plugin', { api: '^2.0.0', entry: './index.js', provides: [{ kind: 'datasource', name: 'FUT' }] }, constantSourceEntry('FUT', 1));
    const broken = writePlugin(t.dir, 'broken-plugin', { api: '^1.0.0', provides: 'everything' }, 'export default {};');
    const throwing = writePlugin(t.dir, 'throwing-plugin', manifest([{ kind: 'datasource', name: 'BOOM' }]), "throw new Error('cannot find libfoo.so');");
    const kernel = await Kernel.start({ discoverInstalled: false, plugins: [good, future, broken, throwing] });
    const by = (n: string) => kernel.plugins.find((p) => p.name === n)!;
    assert.equal(by('good-plugin').status, 'loaded');
    assert.ok(kernel.find('datasource', 'CONST'));

    assert.equal(by('future-plugin').status, 'refused');
    assert.match(by('future-plugin').reason!, /supports plugin API \^2\.0\.0, but this kernel provides API 1\.0\.0/);
    assert.equal(kernel.find('datasource', 'FUT'), undefined);

    assert.equal(by('broken-plugin').status, 'refused');
    assert.match(by('broken-plugin').reason!, /invalid plugin manifest .*package\.json.*(entry|provides)/);

    assert.equal(by('throwing-plugin').status, 'refused');
    assert.match(by('throwing-plugin').reason!, /loading failed: cannot find libfoo\.so/);
    assert.equal(kernel.find('datasource', 'BOOM'), undefined);
  } finally {
    t.cleanup();
  }
});

test('two plugins providing the same extension: the second is refused unless the configuration chooses', async () => {
  const t = tempDir();
  try {
    const a = writePlugin(t.dir, 'plugin-a', manifest([{ kind: 'datasource', name: 'SAME' }]), constantSourceEntry('SAME', 1));
    const b = writePlugin(t.dir, 'plugin-b', manifest([{ kind: 'datasource', name: 'SAME' }]), constantSourceEntry('SAME', 2));
    const k1 = await Kernel.start({ discoverInstalled: false, plugins: [a, b] });
    assert.equal(k1.plugins.find((p) => p.name === 'plugin-a')!.status, 'loaded');
    const refused = k1.plugins.find((p) => p.name === 'plugin-b')!;
    assert.equal(refused.status, 'refused');
    assert.match(refused.reason!, /datasource SAME, which plugin-a provides too; choose one with --choose datasource:SAME=<plugin>/);
    assert.equal(k1.providerOf('datasource', 'SAME'), 'plugin-a');

    const k2 = await Kernel.start({ discoverInstalled: false, plugins: [a, b], choose: { 'datasource:SAME': 'plugin-b' } });
    assert.equal(k2.providerOf('datasource', 'SAME'), 'plugin-b');
    assert.equal(k2.plugins.find((p) => p.name === 'plugin-a')!.status, 'refused');
  } finally {
    t.cleanup();
  }
});

test('precedence: the higher one serves unless chosen; one that fails to load gives way to the next, and both say why', async () => {
  const t = tempDir();
  try {
    const portable = writePlugin(t.dir, 'plugin-portable', manifest([{ kind: 'datasource', name: 'SAME' }]), constantSourceEntry('SAME', 1));
    const fast = writePlugin(t.dir, 'plugin-fast', manifest([{ kind: 'datasource', name: 'SAME' }], { precedence: 10 }), constantSourceEntry('SAME', 2));
    const logged: string[] = [];
    const log = { debug() {}, info: (m: string) => logged.push(`info ${m}`), warn: (m: string) => logged.push(`warn ${m}`), error: (m: string) => logged.push(`error ${m}`) };
    const k1 = await Kernel.start({ discoverInstalled: false, plugins: [portable, fast], log });
    assert.equal(k1.providerOf('datasource', 'SAME'), 'plugin-fast');
    // giving way is normal operation: listed with the reason, logged as info, never as a warning
    assert.deepEqual(logged.filter((m) => /plugin-portable/.test(m)).map((m) => m.split(' ')[0]), ['info']);
    assert.deepEqual(k1.plugins.map((p) => p.name), ['plugin-portable', 'plugin-fast'], 'listed in discovery order');
    const loser = k1.plugins.find((p) => p.name === 'plugin-portable')!;
    assert.equal(loser.status, 'refused');
    assert.equal(loser.reason, 'datasource SAME is served by plugin-fast, which takes precedence; choose this plugin with --choose datasource:SAME=plugin-portable');
    assert.equal(k1.plugins.find((p) => p.name === 'plugin-fast')!.reason, 'serves datasource SAME ahead of plugin-portable (precedence 10 over 0)');

    const k2 = await Kernel.start({ discoverInstalled: false, plugins: [portable, fast], choose: { 'datasource:SAME': 'plugin-portable' } });
    assert.equal(k2.providerOf('datasource', 'SAME'), 'plugin-portable');

    const broken = writePlugin(t.dir, 'plugin-nolib', manifest([{ kind: 'datasource', name: 'SAME' }], { precedence: 10 }), "throw new Error('no system library libfoo.so');");
    logged.length = 0;
    const k3 = await Kernel.start({ discoverInstalled: false, plugins: [portable, broken], log });
    assert.equal(k3.providerOf('datasource', 'SAME'), 'plugin-portable');
    assert.ok(logged.some((m) => /^warn plugin plugin-nolib refused: loading failed/.test(m)), `a plugin that fails to load is a warning: ${logged.join(' | ')}`);
    assert.match(k3.plugins.find((p) => p.name === 'plugin-nolib')!.reason!, /loading failed: no system library libfoo\.so/);
    assert.equal(k3.plugins.find((p) => p.name === 'plugin-portable')!.reason, 'serves datasource SAME because plugin-nolib could not load');
  } finally {
    t.cleanup();
  }
});

test('a plugin must register exactly what it declares, and its options are validated first', async () => {
  const t = tempDir();
  try {
    const undeclared = writePlugin(t.dir, 'undeclared', manifest([]), constantSourceEntry('SNEAKY', 1));
    const lazy = writePlugin(t.dir, 'lazy', manifest([{ kind: 'datasource', name: 'LAZY' }]), "import { definePlugin } from '" + new URL('../src/index.js', import.meta.url).href + "'; export default definePlugin({ register() {} });");
    const strict = writePlugin(t.dir, 'strict-options', manifest([{ kind: 'datasource', name: 'OPT' }], {
      options: { type: 'object', properties: { port: { type: 'integer' } }, additionalProperties: false },
    }), constantSourceEntry('OPT', 1));
    const k = await Kernel.start({ discoverInstalled: false, plugins: [undeclared, lazy, strict], pluginOptions: { 'strict-options': { port: 'ten' } } });
    const by = (n: string) => k.plugins.find((p) => p.name === n)!;
    assert.match(by('undeclared').reason!, /registers datasource SNEAKY, which its manifest does not declare/);
    assert.match(by('lazy').reason!, /declares datasource:LAZY, but register\(\) did not provide it/);
    assert.match(by('strict-options').reason!, /options are invalid: options\/port must be integer/);
    assert.equal(k.list('datasource').length, 0);
  } finally {
    t.cleanup();
  }
});

test('discovers plugins installed in node_modules (scoped too) and names explicit ones by package name', async () => {
  const t = tempDir();
  try {
    const nm = join(t.dir, 'node_modules');
    mkdirSync(join(nm, '@site'), { recursive: true });
    writePlugin(nm, '@site/beamline-source', manifest([{ kind: 'datasource', name: 'BL' }]), constantSourceEntry('BL', 7));
    writePlugin(nm, 'not-a-plugin', undefined, 'export default 1;');
    const k = await Kernel.start({ cwd: t.dir });
    const found = k.plugins.find((p) => p.name === '@site/beamline-source');
    assert.ok(found, 'the installed plugin was discovered');
    assert.equal(found.status, 'loaded');
    assert.equal(found.origin, 'installed');
    assert.equal(k.plugins.some((p) => p.name === 'not-a-plugin'), false);

    const elsewhere = tempDir();
    try {
      symlinkSync(join(nm, '@site', 'beamline-source'), join(elsewhere.dir, 'linked'));
      const k2 = await Kernel.start({ cwd: t.dir, discoverInstalled: false, plugins: ['@site/beamline-source'] });
      assert.equal(k2.plugins[0]!.status, 'loaded');
      assert.equal(k2.plugins[0]!.origin, 'explicit');
      const k3 = await Kernel.start({ cwd: t.dir, discoverInstalled: false, plugins: ['no-such-plugin'] });
      assert.match(k3.plugins[0]!.reason!, /no such directory, and no package of that name is installed/);
    } finally {
      elsewhere.cleanup();
    }
  } finally {
    t.cleanup();
  }
});

test('kinds: only plugins providing a needed kind are imported; one providing only plugin-defined kinds loads too', async () => {
  const t = tempDir();
  try {
    // an entry that registers what it is given, and one that fails when imported: a skipped plugin is never imported
    const providing = (kinds: Array<{ kind: string; name: string }>) =>
      `import { definePlugin } from '${CORE_URL}';\nexport default definePlugin({ register(ctx) { for (const e of ${JSON.stringify(kinds)}) ctx.provide(e); } });\n`;
    const exploding = "throw new Error('imported although not needed');";
    const sink = writePlugin(t.dir, 'a-sink', manifest([{ kind: 'sink', name: 'FMT' }]), providing([{ kind: 'sink', name: 'FMT' }]));
    const source = writePlugin(t.dir, 'a-source', manifest([{ kind: 'datasource', name: 'S' }]), exploding);
    const front = writePlugin(t.dir, 'a-frontend', manifest([{ kind: 'frontend', name: 'f' }]), exploding);
    const withDriver = writePlugin(t.dir, 'a-db-source', manifest([{ kind: 'datasource', name: 'DBX' }, { kind: 'widget-driver', name: 'W1' }]), exploding);
    const driver = writePlugin(t.dir, 'a-driver', manifest([{ kind: 'widget-driver', name: 'W2' }]), providing([{ kind: 'widget-driver', name: 'W2' }]));
    const plugins = [sink, source, front, withDriver, driver];
    const k = await Kernel.start({ discoverInstalled: false, plugins, kinds: ['sink'] });
    const status = Object.fromEntries(k.plugins.map((p) => [p.name, p.status]));
    assert.deepEqual(status, { 'a-sink': 'loaded', 'a-source': 'skipped', 'a-frontend': 'skipped', 'a-db-source': 'skipped', 'a-driver': 'loaded' });
    assert.equal(k.plugins.find((p) => p.name === 'a-source')!.reason, 'not needed by this command, which uses sink');
    assert.deepEqual(k.plugins.find((p) => p.name === 'a-source')!.provides, [{ kind: 'datasource', name: 'S' }], 'a skipped plugin is listed with its manifest');
    assert.ok(k.find('sink', 'FMT'));
    assert.ok(k.find('widget-driver', 'W2'));

    // without kinds every plugin is imported (the exploding ones are refused, saying why)
    const all = await Kernel.start({ discoverInstalled: false, plugins });
    assert.equal(all.plugins.filter((p) => p.status === 'skipped').length, 0);
    assert.match(all.plugins.find((p) => p.name === 'a-source')!.reason!, /loading failed: imported although not needed/);
  } finally {
    t.cleanup();
  }
});
