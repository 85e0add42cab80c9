// Input limits: every oversized configuration or JSON record is refused before any work, with an
// error naming the limit and where; the checks are linear, so refusing stays fast.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_LIMITS, Kernel, NxswError, WriterSession, parseJsonRecord, parseXml, resolveLimits, type InputLimits } from '../src/index.js';
import { kernelOptions } from '../src/cli/options.js';
import { tempDir } from './helpers.js';

const entry = (inner: string) => `<definition><group type="NXentry" name="e">${inner}</group></definition>`;
const session = (limits?: Partial<InputLimits>) => new WriterSession({ extensions: Kernel.withExtensions([]), limits: { ...DEFAULT_LIMITS, ...limits } });
const limitError = (re: RegExp) => (e: unknown) => e instanceof NxswError && e.code === 'LIMIT_EXCEEDED' && re.test(e.message);

/** runs f and returns how long it took (ms) */
function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

test('a rank beyond 32 (HDF5\'s maximum) is refused at XMLSettings, at once, with the element\'s place', () => {
  for (const rank of ['2147483648', '100000000', '33']) {
    const xml = entry(`\n<field name="f" type="NX_INT"><dimensions rank="${rank}"/>1</field>`);
    const ms = timed(() => assert.throws(() => session().setXmlSettings(xml),
      limitError(new RegExp(`rank ${rank} is more than 32 \\(HDF5's maximum rank\\).*limit rank.*line 2, column \\d+, at /definition/group\\[e:NXentry\\]/field\\[f\\]/dimensions`))));
    assert.ok(ms < 1000, `rank ${rank} refused in ${ms.toFixed(0)} ms`);
  }
  session().setXmlSettings(entry('<field name="f" type="NX_INT"><dimensions rank="32"/></field>'));
  assert.throws(() => session({ rank: 3 }).setXmlSettings(entry('<field name="f" type="NX_INT"><dimensions rank="4"/></field>')), limitError(/rank 4 is more than 3 \(limit rank/));
});

test('declared lengths whose product exceeds valueElements are refused', () => {
  const dims = (a: number, b: number) => entry(`<field name="f" type="NX_FLOAT"><dimensions rank="2"><dim index="1" value="${a}"/><dim index="2" value="${b}"/></dimensions></field>`);
  assert.throws(() => session().setXmlSettings(dims(100000, 100000)), limitError(/the lengths \[100000, 100000\] make 10000000000 elements per value, more than 268435456 \(limit valueElements/));
  session().setXmlSettings(dims(4096, 4096));
  assert.throws(() => session({ valueElements: 1000 }).setXmlSettings(dims(100, 11)), limitError(/1100 elements.*field\[f\]\/dimensions/));
});

test('nesting, element count and document size: the first element past a limit is named', () => {
  const deep = `<definition>\n${'<group type="NXentry">'.repeat(100_000)}${'</group>'.repeat(100_000)}</definition>`;
  assert.throws(() => session().setXmlSettings(deep), limitError(/elements nest more than 64 deep \(limit xmlDepth.*line 2, column \d+, at \/definition(\/group\[:NXentry\]){64}\)/));
  const many = entry(Array.from({ length: 50 }, (_, i) => `<field name="f${i}" type="NX_INT">${i}</field>`).join('\n'));
  assert.throws(() => session({ xmlElements: 20 }).setXmlSettings(many), limitError(/more than 20 elements \(limit xmlElements.*field\[f18\]/));
  assert.throws(() => parseXml(many, { ...DEFAULT_LIMITS, xmlBytes: 1000 }), limitError(/the configuration is \d+ bytes, more than 1000 bytes \(limit xmlBytes/));
  assert.throws(() => parseXml(`<definition>${' '.repeat(2 ** 20)}</definition>`, { ...DEFAULT_LIMITS, xmlBytes: 2 ** 20 }), limitError(/more than 1 MiB/));
});

test('100 000 static fields and 8 000 attributes on one group are checked in about a second', async () => {
  const fields = entry(Array.from({ length: 100_000 }, (_, i) => `<field name="f${i}" type="NX_INT">${i}</field>`).join(''));
  const attrs = entry(Array.from({ length: 8000 }, (_, i) => `<attribute name="a${i}">v${i}</attribute>`).join(''));
  for (const [what, xml] of [['fields', fields], ['attributes', attrs]] as const) {
    const ms = timed(() => session().setXmlSettings(xml));
    // generous for a loaded machine; before the limits work the first two took minutes at OpenEntry
    assert.ok(ms < 5000, `${what}: ${ms.toFixed(0)} ms`);
    const t = performance.now();
    const summary = await session().checkConfiguration(xml);
    assert.ok(performance.now() - t < 5000);
    assert.ok(summary.fields + summary.attributes + summary.groups >= 1);
  }
});

test('XML attributes of one element: refused at the first past the limit', () => {
  const tag = (n: number) => entry(`\n<group type="NXdata" ${Array.from({ length: n }, (_, i) => `a${i}="1"`).join(' ')}/>`);
  const ms = timed(() => assert.throws(() => session().setXmlSettings(tag(1_000_000)),
    limitError(/<group> has more than 256 attributes \(limit xmlAttributes.*line 2, column \d+, at \/definition\/group\[e:NXentry\]\/group\)/)));
  assert.ok(ms < 2000, `${ms.toFixed(0)} ms`);
  session().setXmlSettings(tag(254));
});

test('a long row of static text does not overflow the stack', () => {
  const row = '1 '.repeat(300_000);
  const s = session();
  s.setXmlSettings(entry(`<field name="f" type="NX_INT"><dimensions rank="2"/>${row}\n${row}</field>`));
});

test('JSON records: size and nesting limits with line, column and place', () => {
  const deep = `{"data": {"c1": ${'['.repeat(100_000)}1${']'.repeat(100_000)}}}`;
  assert.throws(() => parseJsonRecord(deep, 'Record argument'), limitError(/Record argument: objects and arrays nest more than 64 deep at line 1, column \d+, inside data\.c1(\[0\]){62} \(limit jsonDepth/));
  const multi = '{\n "data": {\n  "a": [1, 2, [3, [4]]]\n }\n}';
  assert.throws(() => parseJsonRecord(multi, 'JSONRecord', { ...DEFAULT_LIMITS, jsonDepth: 3 }), limitError(/nest more than 3 deep at line 3, column 15, inside data\.a\[2\]/));
  assert.deepEqual(parseJsonRecord(multi, 'JSONRecord', { ...DEFAULT_LIMITS, jsonDepth: 5 }).data, { a: [1, 2, [3, [4]]] });
  // brackets inside strings are text, not nesting
  assert.deepEqual(parseJsonRecord('{"data": {"s": "[[[[\\"{{{{"}}', 'x', { ...DEFAULT_LIMITS, jsonDepth: 2 }).data, { s: '[[[["{{{{' });
  assert.throws(() => parseJsonRecord(`{"data": {"s": "${'x'.repeat(5000)}"}}`, 'JSONRecord', { ...DEFAULT_LIMITS, jsonBytes: 4096 }), limitError(/JSONRecord is 5\d\d\d bytes, more than 4 KiB \(limit jsonBytes/));
  const s = session({ jsonDepth: 2 });
  assert.throws(() => s.setJsonRecord('{"data": {"x": [1]}}'), limitError(/JSONRecord: objects and arrays nest more than 2 deep/));
  assert.equal(s.jsonRecord, '{}', 'a refused record changes nothing');
});

test('limits come from the server configuration and --limit; bad names and values are refused', () => {
  assert.equal(resolveLimits({ rank: '8', xmlDepth: 10 }, 'x').rank, 8);
  assert.throws(() => resolveLimits({ rank: 33 }, 'x'), /limit rank cannot exceed HDF5's maximum rank 32/);
  assert.throws(() => resolveLimits({ ranks: 3 }, 'x'), /unknown limit 'ranks' \(known: xmlBytes, xmlDepth/);
  assert.throws(() => resolveLimits({ xmlDepth: -1 }, 'x'), /limit xmlDepth must be a positive integer, not '-1'/);
  const t = tempDir();
  try {
    const config = join(t.dir, 'server.json');
    writeFileSync(config, JSON.stringify({ limits: { xmlElements: 1000, jsonDepth: 8 } }));
    const k = kernelOptions({ config, limit: ['jsonDepth=5'] });
    assert.equal(k.limits!.xmlElements, 1000);
    assert.equal(k.limits!.jsonDepth, 5, '--limit wins');
    assert.equal(k.limits!.rank, 32);
    writeFileSync(config, JSON.stringify({ limits: { xmlElements: 'many' } }));
    assert.throws(() => kernelOptions({ config }), /server\.json: limits: limit xmlElements must be a positive integer, not 'many'/);
    assert.throws(() => kernelOptions({ limit: ['rank'] }), /--limit 'rank' must be name=value/);
  } finally {
    t.cleanup();
  }
});
