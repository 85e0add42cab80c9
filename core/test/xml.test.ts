import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, serializeXml, parseFileName, NxswError, STANDARD_TAGS } from '../src/index.js';
import { buildPlan, nameTree, resolveLinkPath } from '../src/engine/planner.js';
import { splitFileName, nexusTime } from '../src/engine/filename.js';
import { parseStaticText, typedXmlAttribute } from '../src/engine/static.js';
import { redactedSourceXml } from '../src/engine/entry.js';

const tags = new Map(STANDARD_TAGS.map((t) => [t.name, t]));
const plan = (xml: string) => buildPlan(parseXml(xml), (n) => tags.get(n), () => [...tags.keys()]);

test('syntax errors name the 1-based line, the column and the element path', () => {
  const cases: Array<[string, RegExp]> = [
    ['<definition>\n<group type="NXentry">\n</definition>', /Unexpected close tag.*line 3, column \d+, at \/definition\/group\[:NXentry\]/],
    ['<definition><group type="NXentry">', /Unclosed root tag.*line 1/],
    ['<definition/><definition/>', /a second root element <definition>/],
    ['text before', /Non-whitespace before first tag.*line 1/],
    ['<definition><field name="a &bad; b"/></definition>', /Invalid character entity/],
  ];
  for (const [xml, re] of cases) {
    assert.throws(() => parseXml(xml), (e: unknown) => e instanceof NxswError && e.code === 'CONFIG_SYNTAX' && re.test(e.message), xml);
  }
});

test('every error of spec 6.1 is a located configuration error', () => {
  const cases: Array<[string, RegExp]> = [
    ['<definition><group name="e"/></definition>', /The group type not defined \(line 1, column \d+, at \/definition\/group\[e\]\)/],
    ['<definition><group type="NXentry"><field/></group></definition>', /Field without a name/],
    ['<definition><group type="NXentry"><field name="x"><attribute type="NX_INT">1</attribute></field></group></definition>', /Attribute without a name/],
    ['<definition><group type="NXentry"><link target="/a"/></group></definition>', /Link without a name/],
    ['<definition><group type="NXentry"><field name="x" type="NX_COMPLEX">1</field></group></definition>', /unsupported type 'NX_COMPLEX'/],
    ['<definition><group type="NXentry"><field name="x"><dimensions rank="two"/></field></group></definition>', /rank 'two' is not a non-negative integer/],
    ['<definition><group type="NXentry"><field name="x"><dimensions rank="1"><dim index="3" value="2"/></dimensions></field></group></definition>', /<dim index="3"> is outside rank 1/],
    ['<definition><group type="NXentry"><field name="x"><strategy mode="STEP" compression="fast"/></field></group></definition>', /compression 'fast' must be true, false or an HDF5 filter id/],
    ['<definition><group type="NXentry"><field name="x"><datasource/></field></group></definition>', /datasource without a type/],
    ['<definition><field name="x"><group type="NXentry"/></field></definition>', /<group> is not allowed inside <field>/],
    ['<definition><group type="NXentry"><record name="x"/></group></definition>', /<record> is not allowed inside <group>/],
    ['<definition><group type="NXentry"><field name="x"><datasource type="CLIENT"/><datasource type="CLIENT"/></field></group></definition>', /<field> has more than one <datasource>/],
  ];
  for (const [xml, re] of cases) assert.throws(() => plan(xml), (e: unknown) => e instanceof NxswError && re.test(e.message), xml);
});

test('the plan: group names from types, legacy name/type attributes, strategies and filters', () => {
  const p = plan(`<definition><group type="NXentry"><attribute name="name">scan1</attribute>
    <group type="NXcollection"/>
    <field name="x" type="NX_FLOAT"><strategy mode="STEP" grows="0" compression="true" rate="12" canfail="TRUE">
      <filter index="2" id="32008" cd_values="0,2" availability="optional"/><filter index="1" name="fletcher32"/></strategy></field></group></definition>`);
  const entry = p.children[0]!;
  assert.equal(entry.kind, 'group');
  if (entry.kind !== 'group') return;
  assert.equal(entry.name, 'scan1');
  assert.equal((entry.children[0] as { name: string }).name, 'collection');
  const x = entry.children[1]!;
  if (x.kind !== 'field') throw new Error('field expected');
  assert.equal(x.strategy!.grows, 1);
  assert.equal(x.strategy!.canfail, true);
  assert.deepEqual(x.strategy!.filters, [{ id: 2 }, { id: 1, cdValues: [9] }, { id: 3, cdValues: undefined, optional: false }, { id: 32008, cdValues: [0, 2], optional: true }]);
});

test('several <strategy> tags: the last one wins, as in the reference', () => {
  const p = plan(`<definition><group type="NXentry"><field name="x"><strategy mode="INIT"/><strategy mode="STEP" trigger="t1" canfail="true"/></field>
    <attribute name="a"><strategy mode="FINAL"/><strategy mode="STEP"/></attribute></group></definition>`);
  const entry = p.children[0]!;
  if (entry.kind !== 'group') throw new Error('group expected');
  const x = entry.children[0]!;
  if (x.kind !== 'field') throw new Error('field expected');
  assert.equal(x.strategy!.mode, 'STEP');
  assert.equal(x.strategy!.trigger, 't1');
  assert.equal(x.strategy!.canfail, true);
  assert.equal(entry.attributes[0]!.strategy!.mode, 'STEP');
});

test('link targets written with NeXus classes resolve against the configuration (spec 2.8)', () => {
  const p = plan('<definition><group type="NXentry" name="entry1"><group type="NXinstrument" name="instrument"><group type="NXdetector" name="detector"/></group></group></definition>');
  const tree = nameTree(p);
  const el = parseXml('<link/>');
  assert.equal(resolveLinkPath('/NXentry/NXinstrument/NXdetector/mca', tree, el), '/entry1/instrument/detector/mca');
  assert.equal(resolveLinkPath('/entry1/instrument/detector/counter1', tree, el), '/entry1/instrument/detector/counter1');
  assert.equal(resolveLinkPath('/entry1:NXentry/NXinstrument/x', tree, el), '/entry1/instrument/x');
  assert.throws(() => resolveLinkPath('/NXentry/nothing/NXdetector/x', tree, el), /Link creation problem/);
});

test('static text: rank 0, 1 and 2; typed group/field attributes', () => {
  assert.deepEqual(parseStaticText('  a b  ', 0, 'string').data, ['a b']);
  assert.deepEqual(parseStaticText('1 2 3', 1, 'int32').shape, [3]);
  assert.deepEqual(parseStaticText('1 2 3\n4 5 6\n', 2, 'float64').shape, [2, 3]);
  assert.throws(() => parseStaticText('1 2\n3', 2, 'float64'), /different lengths/);
  assert.throws(() => parseStaticText('abc', 0, 'int64'), /invalid literal/);
  assert.equal(typedXmlAttribute('signal', '1').type, 'int64');
  assert.equal(typedXmlAttribute('signal', 'counter1').type, 'string');
  assert.equal(typedXmlAttribute('primary', '1').type, 'int32');
  assert.deepEqual(typedXmlAttribute('vector', '1 2 3').shape, [3]);
  assert.equal(typedXmlAttribute('ignoreExtraFields', 'true').type, 'bool');
});

test('FileName with a NeXus parent path, split names, times, redaction', () => {
  assert.deepEqual(parseFileName('scan.nxs'), { file: 'scan.nxs', parents: [] });
  assert.deepEqual(parseFileName('nxpath.h5:/entry12:NXentry/NXsample/detector').parents, [
    { name: 'entry12', nxClass: 'NXentry' }, { name: 'sample', nxClass: 'NXsample' }, { name: 'detector', nxClass: 'NXdetector' },
  ]);
  assert.deepEqual(parseFileName('h5file:/tmp/x.h5:/entry:NXentry'), { file: '/tmp/x.h5', parents: [{ name: 'entry', nxClass: 'NXentry' }] });
  assert.throws(() => parseFileName('  '), /FileName is empty/);
  assert.equal(splitFileName('/d/scan.nxs', 3), '/d/scan_00003.nxs');
  assert.equal(splitFileName('/d.x/scan', 12), '/d.x/scan_00012');
  assert.match(nexusTime(new Date(2026, 0, 2, 3, 4, 5, 6)), /^2026-01-02T03:04:05\.006000[+-]\d{4}$/);
  const ds = parseXml('<datasource type="DB"><database dbtype="PGSQL" user="u" passwd="s3cret"/><query format="SCALAR">SELECT 1</query></datasource>');
  assert.equal(redactedSourceXml(ds), '<datasource type="DB"><database dbtype="PGSQL" user="u" passwd="***"></database><query format="SCALAR">SELECT 1</query></datasource>');
  assert.equal(serializeXml(parseXml('<a x="1&amp;2"><b>t&lt;</b></a>')), '<a x="1&amp;2"><b>t&lt;</b></a>');
});
