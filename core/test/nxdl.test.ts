// The NXDL model (occurrence rules, extends, name patterns), units categories, and the check of a
// configuration's plan without writing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, WriterSession } from '../src/index.js';
import { NxdlLibrary, nameMatches, nxdlLibrary, observeFile, parseDefinition, parseUnits, unitsFit, checkPlanAgainstNxdl, validateTree } from '../src/nxdl/index.js';
import type { ObservedField, ObservedGroup, ObservedNode } from '../src/nxdl/index.js';
import type { ReadField, ReadGroup, SinkReader } from '../src/api/extensions.js';
import { tempDir } from './helpers.js';

const lib = nxdlLibrary();

test('application definitions: items are required unless minOccurs="0", optional or recommended says otherwise', () => {
  const mx = lib.get('NXmx')!;
  assert.equal(mx.application, true);
  const entry = mx.root.groups.find((g) => g.type === 'NXentry')!;
  assert.equal(entry.path, 'NXmx/ENTRY');
  assert.equal(entry.nameType, 'any');
  const field = (n: string) => entry.fields.find((f) => f.name === n)!;
  assert.equal(field('start_time').required, true);
  assert.equal(field('title').required, false); // minOccurs="0"
  assert.deepEqual(field('definition').enumeration, ['NXmx']);
  assert.equal(entry.attributes.find((a) => a.name === 'version')!.required, false); // optional="true"
  const data = entry.groups.find((g) => g.type === 'NXdata')!.fields.find((f) => f.name === 'data')!;
  assert.equal(data.required, false);
  assert.equal(data.recommended, true);
  assert.equal(data.rank, 'dataRank');
  assert.deepEqual(data.dims.map((d) => d.required), [true, true, true, false]);
});

test('base classes: everything optional; extends merges the parent, the child shadows what it redefines', () => {
  const det = lib.get('NXdetector')!;
  assert.equal(det.application, false);
  assert.ok(det.root.fields.every((f) => !f.required) && det.root.groups.every((g) => !g.required));
  // NXdetector extends NXcomponent, which has depends_on; NXobject's partial names apply everywhere
  assert.ok(det.root.fields.some((f) => f.name === 'depends_on'));
  assert.ok(det.root.fields.some((f) => f.name === 'FIELDNAME_errors' && f.nameType === 'partial'));
  // NXxeuler extends NXxbase: the base's detector fields come in; its own definition enumeration wins
  const euler = lib.get('NXxeuler')!.root.groups[0]!;
  assert.deepEqual(euler.fields.find((f) => f.name === 'definition')!.enumeration, ['NXxeuler']);
  const detector = euler.groups.find((g) => g.name === 'instrument')!.groups.find((g) => g.name === 'detector')!;
  assert.ok(detector.fields.some((f) => f.name === 'polar_angle') && detector.fields.some((f) => f.name === 'x_pixel_size'));
});

test('name patterns: specified, any, partial (capitals stand for any text)', () => {
  assert.equal(nameMatches({ name: 'data', nameType: 'specified' }, 'data'), true);
  assert.equal(nameMatches({ name: 'data', nameType: 'specified' }, 'data2'), false);
  assert.equal(nameMatches({ name: 'DATA', nameType: 'any' }, 'whatever'), true);
  assert.equal(nameMatches({ name: 'FIELDNAME_errors', nameType: 'partial' }, 'counts_errors'), true);
  assert.equal(nameMatches({ name: 'FIELDNAME_errors', nameType: 'partial' }, '_errors'), true);
  assert.equal(nameMatches({ name: 'FIELDNAME_errors', nameType: 'partial' }, 'counts_error'), false);
  assert.equal(nameMatches({ name: 'identifierNAME', nameType: 'partial' }, 'identifier_doi'), true);
});

test('units against categories', () => {
  const cases: Array<[string, string, string]> = [
    ['mm', 'NX_LENGTH', 'ok'], ['Angstrom', 'NX_WAVELENGTH', 'ok'], ['Å', 'NX_LENGTH', 'ok'], ['nm', 'NX_WAVELENGTH', 'ok'],
    ['A', 'NX_WAVELENGTH', 'wrong'], ['A', 'NX_CURRENT', 'ok'], ['mA', 'NX_CURRENT', 'ok'],
    ['keV', 'NX_ENERGY', 'ok'], ['J', 'NX_ENERGY', 'ok'], ['eV', 'NX_LENGTH', 'wrong'],
    ['deg', 'NX_ANGLE', 'ok'], ['mrad', 'NX_ANGLE', 'ok'], ['deg', 'NX_LENGTH', 'wrong'],
    ['s', 'NX_TIME', 'ok'], ['ms', 'NX_TIME', 'ok'], ['min', 'NX_TIME', 'ok'], ['Hz', 'NX_FREQUENCY', 'ok'], ['1/s', 'NX_FREQUENCY', 'ok'], ['s-1', 'NX_FREQUENCY', 'ok'],
    ['K', 'NX_TEMPERATURE', 'ok'], ['degC', 'NX_TEMPERATURE', 'ok'], ['mbar', 'NX_PRESSURE', 'ok'], ['Pa', 'NX_PRESSURE', 'ok'],
    ['m^2', 'NX_AREA', 'ok'], ['mm**2', 'NX_AREA', 'ok'], ['cm2', 'NX_AREA', 'ok'], ['barn', 'NX_CROSS_SECTION', 'ok'],
    ['1/Angstrom', 'NX_WAVENUMBER', 'ok'], ['nm^-1', 'NX_WAVENUMBER', 'ok'], ['g/cm^3', 'NX_MASS_DENSITY', 'ok'], ['g/mol', 'NX_MOLECULAR_WEIGHT', 'ok'],
    ['counts', 'NX_COUNT', 'ok'], ['', 'NX_DIMENSIONLESS', 'ok'], ['kV', 'NX_VOLTAGE', 'ok'], ['W', 'NX_POWER', 'ok'], ['sr', 'NX_SOLID_ANGLE', 'ok'],
    ['photons/s/mm^2', 'NX_FLUX', 'ok'], ['anything', 'NX_ANY', 'ok'], ['furlongs', 'NX_LENGTH', 'unknown-units'], ['m', 'NX_NOT_A_CATEGORY', 'unknown-category'],
  ];
  for (const [units, category, verdict] of cases) assert.equal(unitsFit(units, category), verdict, `${units} as ${category}`);
  // a transformation narrows NX_TRANSFORMATION to a length or an angle
  assert.equal(unitsFit('mm', 'NX_TRANSFORMATION', 'translation'), 'ok');
  assert.equal(unitsFit('deg', 'NX_TRANSFORMATION', 'translation'), 'wrong');
  assert.equal(unitsFit('deg', 'NX_TRANSFORMATION', 'rotation'), 'ok');
  assert.deepEqual(parseUnits('kg m^2 s^-2'), parseUnits('J'));
});

test('a site folder of definitions: contributed definitions, bad files named', () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'base_classes'));
    mkdirSync(join(t.dir, 'contributed_definitions'));
    writeFileSync(join(t.dir, 'base_classes', 'NXentry.nxdl.xml'), '<definition name="NXentry" category="base" type="group" extends="NXobject"><field name="title"/></definition>');
    writeFileSync(join(t.dir, 'contributed_definitions', 'NXsite.nxdl.xml'),
      '<definition name="NXsite" category="application" type="group" extends="NXobject"><group type="NXentry"><field name="definition"><enumeration><item value="NXsite"/></enumeration></field><field name="operator" type="NX_CHAR"/><attribute name="shift"/></group></definition>');
    writeFileSync(join(t.dir, 'contributed_definitions', 'NXbroken.nxdl.xml'), '<definition name="NXbroken"><group>');
    const site = new NxdlLibrary(t.dir);
    assert.deepEqual(site.applications().filter((a) => a !== 'NXbroken'), ['NXsite']);
    assert.throws(() => site.get('NXbroken'), /NXbroken\.nxdl\.xml: not a valid NXDL file/);
    const entry = site.get('NXsite')!.root.groups[0]!;
    assert.equal(entry.fields.find((f) => f.name === 'operator')!.required, true);
    assert.equal(entry.attributes.find((a) => a.name === 'shift')!.required, true);
    assert.throws(() => new NxdlLibrary(join(t.dir, 'base_classes')), /has no \*\.nxdl\.xml/);
  } finally {
    t.cleanup();
  }
});

test('parseDefinition: nameType defaults, legacy field attributes, open enumerations', () => {
  const d = parseDefinition(`<definition name="NXt" category="application" type="group">
    <group type="NXentry"><group type="NXdata" name="data"/><field name="energy" axis="1" type="NX_FLOAT"/>
    <field name="mode"><enumeration open="true"><item value="a"/></enumeration></field></group></definition>`, 'NXt.nxdl.xml', 'application');
  const entry = d.root.groups[0]!;
  assert.equal(entry.nameType, 'any');
  assert.equal(entry.groups[0]!.nameType, 'specified');
  assert.deepEqual(entry.fields[0]!.impliedAttributes, [{ name: 'axis', value: '1' }]);
  assert.equal(entry.fields[1]!.enumeration, undefined);
});

test('a configuration checked against its application definition, with locations in both documents', () => {
  const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
  const xml = `<definition>
  <group type="NXentry" name="scan">
    <field name="definition">NXxas</field>
    <field name="title">t</field>
    <field name="start_time" type="NX_DATE_TIME">2026-12-03T10:00:00+01:00</field>
    <group type="NXmonitor" name="mon">
      <field name="mode">sometimes</field>
      <field name="preset" type="NX_INT32">1</field>
    </group>
  </group>
</definition>`;
  const r = checkPlanAgainstNxdl(session.parse(xml), lib);
  assert.deepEqual(r.entries, [{ path: '/definition/group[scan:NXentry]', application: 'NXxas', from: 'definition' }]);
  const errors = r.findings.filter((f) => f.severity === 'error');
  const byDef = new Map(errors.map((f) => [f.definition, f]));
  const mode = byDef.get('NXxas/ENTRY/MONITOR/mode')!;
  assert.equal(mode.code, 'ENUMERATION');
  assert.deepEqual(mode.where, { line: 7, column: 25, path: '/definition/group[scan:NXentry]/group[mon:NXmonitor]/field[mode]' });
  assert.deepEqual(errors.filter((f) => f.definition === 'NXxas/ENTRY/MONITOR/preset').map((f) => f.code), ['TYPE', 'MISSING_UNITS']);
  assert.equal(byDef.get('NXxas/ENTRY/MONITOR/data')!.code, 'MISSING_FIELD');
  assert.equal(byDef.get('NXxas/ENTRY/INSTRUMENT')!.code, 'MISSING_GROUP');
  assert.equal(byDef.get('NXxas/ENTRY/INSTRUMENT')!.where.line, 2);
  assert.equal(r.ok, false);

  // no definition field: base classes only; a definition from a datasource: a warning asking for --app
  const none = checkPlanAgainstNxdl(session.parse('<definition><group type="NXentry" name="e"><field name="x">1</field></group></definition>'), lib);
  assert.deepEqual([none.ok, none.entries, none.findings.map((f) => f.code)], [true, [], ['UNKNOWN_NAME']]);
  const dynamic = checkPlanAgainstNxdl(session.parse('<definition><group type="NXentry" name="e"><field name="definition"><strategy mode="INIT"/><datasource type="CLIENT"><record name="d"/></datasource></field></group></definition>'), lib);
  assert.deepEqual(dynamic.findings.map((f) => f.code), ['NO_DEFINITION']);
});

test('a site definition: maxOccurs, required attributes, a partial name', () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'applications'));
    writeFileSync(join(t.dir, 'applications', 'NXsite.nxdl.xml'), `<definition name="NXsite" category="application" type="group" extends="NXobject">
      <group type="NXentry"><field name="definition"/><attribute name="shift"/>
        <group type="NXsample" maxOccurs="1"><field name="TEMP_set" nameType="partial" type="NX_FLOAT" units="NX_TEMPERATURE"/></group>
      </group></definition>`);
    const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
    const config = (sample2: string) => `<definition><group type="NXentry" name="e"><field name="definition">NXsite</field>
      <group type="NXsample" name="s1"><field name="cryo_set" type="NX_FLOAT" units="K">80</field></group>${sample2}</group></definition>`;
    const r = checkPlanAgainstNxdl(session.parse(config('<group type="NXsample" name="s2"><field name="x_set" type="NX_FLOAT" units="mm">1</field></group>')), new NxdlLibrary(t.dir));
    assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.definition} ${f.where.path}`).sort(), [
      'MISSING_ATTRIBUTE NXsite/ENTRY/@shift /definition/group[e:NXentry]',
      'TOO_MANY NXsite/ENTRY/SAMPLE /definition/group[e:NXentry]/group[s2:NXsample]',
      'UNITS NXsite/ENTRY/SAMPLE/TEMP_set /definition/group[e:NXentry]/group[s2:NXsample]/field[x_set]',
    ]);
    assert.equal(checkPlanAgainstNxdl(session.parse(config('')), new NxdlLibrary(t.dir)).errors, 1);
  } finally {
    t.cleanup();
  }
});

test('maxOccurs of a site\'s base classes: warnings where more children match an item than it allows', () => {
  const t = tempDir();
  try {
    mkdirSync(join(t.dir, 'base_classes'));
    writeFileSync(join(t.dir, 'base_classes', 'NXentry.nxdl.xml'), `<definition name="NXentry" category="base" type="group">
      <group type="NXsample" maxOccurs="1"/><field name="NOTE_note" nameType="partial" maxOccurs="2"/><field name="secret" maxOccurs="0"/></definition>`);
    writeFileSync(join(t.dir, 'base_classes', 'NXsample.nxdl.xml'), '<definition name="NXsample" category="base" type="group"/>');
    const site = new NxdlLibrary(t.dir);
    const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
    const config = (inside: string) => session.parse(`<definition><group type="NXentry" name="e"><group type="NXsample" name="s1"/>${inside}</group></definition>`);
    const tooMany = (inside: string) => checkPlanAgainstNxdl(config(inside), site).findings.filter((f) => f.code === 'TOO_MANY').map((f) => `${f.severity} ${f.definition} ${f.where.path}: ${f.message}`);
    assert.deepEqual(tooMany('<field name="a_note">x</field><field name="b_note">y</field>'), []);
    assert.deepEqual(tooMany('<group type="NXsample" name="s2"/><field name="a_note">x</field><field name="b_note">y</field><field name="c_note">z</field><field name="secret">s</field>'), [
      'warning NXentry/SAMPLE /definition/group[e:NXentry]/group[s2:NXsample]: 2 groups of class NXsample in e:NXentry match NXentry/SAMPLE, which allows at most 1',
      'warning NXentry/NOTE_note /definition/group[e:NXentry]/field[c_note]: 3 fields in e:NXentry match NXentry/NOTE_note, which allows at most 2',
      'warning NXentry/secret /definition/group[e:NXentry]/field[secret]: secret must not be in e:NXentry: NXentry/secret has maxOccurs="0"',
    ]);
  } finally {
    t.cleanup();
  }
});

/** a site folder with NXsums, whose dims are expressions of its symbols (NXtomophase's kind); the e2e tests use it too */
const SITE_NXDL = fileURLToPath(new URL('../../test/fixtures/nxdl-site', import.meta.url));

test('dims given as expressions: a sum of symbols and whole numbers, checked where every symbol has a length', () => {
  const site = new NxdlLibrary(SITE_NXDL);
  const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
  const list = (n: number) => Array.from({ length: n }, (_, k) => k).join(' ');
  const data = (name: string, inside: string) => `<group type="NXdetector" name="${name}"><field name="data" type="NX_INT32">${inside}</field></group>`;
  const config = (sample: string, integral: number, edges: number) => session.parse(`<definition><group type="NXentry" name="e"><field name="definition">NXsums</field>
      ${data('dark', `<dimensions rank="1"/>${list(2)}`)}${data('bright', `<dimensions rank="1"/>${list(3)}`)}${data('sample', sample)}
      <group type="NXmonitor" name="control"><field name="integral" type="NX_INT32"><dimensions rank="1"/>${list(integral)}</field>
        <field name="edges" type="NX_INT32"><dimensions rank="1"/>${list(edges)}</field><field name="ghost" type="NX_INT32"><dimensions rank="1"/>${list(7)}</field></group>
    </group></definition>`);
  const symbols = (r: ReturnType<typeof checkPlanAgainstNxdl>) => r.findings.filter((f) => f.code.startsWith('SYMBOL')).map((f) => `${f.severity} ${f.code} ${f.definition} ${f.where.path}: ${f.message}`);
  const four = `<dimensions rank="1"/>${list(4)}`;
  // 2 + 3 + 4 = 9, 4 + 1 = 5; nGhost has no axis: ghost is not checked
  assert.deepEqual(symbols(checkPlanAgainstNxdl(config(four, 9, 5), site)), []);
  assert.deepEqual(symbols(checkPlanAgainstNxdl(config(four, 8, 4), site)), [
    'error SYMBOL NXsums/ENTRY/control/integral /definition/group[e:NXentry]/group[control:NXmonitor]/field[integral]: field integral: axis 1 has length 8 where NXsums gives it nDark + nBright + nSample = 9 (nDark: data axis 1 has length 2 (NXsums/ENTRY/dark/data; line 2, column 78, at /definition/group[e:NXentry]/group[dark:NXdetector]/field[data]); nBright: data axis 1 has length 3 (NXsums/ENTRY/bright/data; line 2, column 193, at /definition/group[e:NXentry]/group[bright:NXdetector]/field[data]); nSample: data axis 1 has length 4 (NXsums/ENTRY/sample/data; line 2, column 310, at /definition/group[e:NXentry]/group[sample:NXdetector]/field[data]))',
    'error SYMBOL NXsums/ENTRY/control/edges /definition/group[e:NXentry]/group[control:NXmonitor]/field[edges]: field edges: axis 1 has length 4 where NXsums gives it nSample+1 = 5 (nSample: data axis 1 has length 4 (NXsums/ENTRY/sample/data; line 2, column 310, at /definition/group[e:NXentry]/group[sample:NXdetector]/field[data]))',
  ]);
  // sample frames from the records: only the scan tells
  const step = '<strategy mode="STEP"/><datasource type="CLIENT"><record name="frame"/></datasource>';
  assert.deepEqual(symbols(checkPlanAgainstNxdl(config(step, 9, 5), site)).map((x) => x.split(':')[0]), [
    'warning SYMBOL_UNKNOWN NXsums/ENTRY/control/integral /definition/group[e',
    'warning SYMBOL_UNKNOWN NXsums/ENTRY/control/edges /definition/group[e',
  ]);
});

test('an NXsubentry naming an application definition is checked against it; its entry against the base classes', () => {
  const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
  const r = checkPlanAgainstNxdl(session.parse(`<definition><group type="NXentry" name="scan">
    <group type="NXsubentry" name="xas"><field name="definition">NXxas</field><field name="title">t</field><field name="flavour">x</field></group>
    <field name="colour">red</field></group></definition>`), lib);
  assert.deepEqual(r.entries, [{ path: '/definition/group[scan:NXentry]/group[xas:NXsubentry]', application: 'NXxas', from: 'definition' }]);
  assert.ok(r.findings.some((f) => f.severity === 'error' && f.code === 'MISSING_FIELD' && f.definition === 'NXxas/ENTRY/start_time' && f.where.path.endsWith('group[xas:NXsubentry]')));
  assert.ok(r.findings.some((f) => f.severity === 'warning' && f.code === 'UNKNOWN_NAME' && f.definition === 'NXentry' && f.where.path.endsWith('field[colour]')));
  // the subentry is not looked at again by the base-class pass: no finding twice
  const keys = r.findings.map((f) => `${f.code} ${f.definition} ${f.where.path}`);
  assert.equal(new Set(keys).size, keys.length, keys.join('\n'));
});

test('symbols, choices and maxOccurs as the definitions give them', () => {
  assert.deepEqual(lib.get('NXtomo')!.symbols, ['nFrames', 'xSize', 'ySize']);
  // NXxeuler extends NXxbase: the base's symbols come along
  assert.ok(lib.get('NXxeuler')!.symbols.includes('nXPixels'));
  const shapes = lib.get('NXdetector')!.root.choices.find((c) => c.name === 'pixel_shape')!;
  assert.deepEqual(shapes.groups.map((g) => [g.type, g.name, g.path]), [
    ['NXoff_geometry', 'pixel_shape', 'NXdetector/pixel_shape'], ['NXcylindrical_geometry', 'pixel_shape', 'NXdetector/pixel_shape']]);
  const mx = lib.get('NXmx')!.root.groups[0]!;
  const detector = mx.groups.find((g) => g.type === 'NXinstrument')!.groups.find((g) => g.type === 'NXdetector')!;
  assert.equal(detector.fields.find((f) => f.name === 'flatfield_error')!.maxOccurs, 0);
  // NXmx's group_index says i (the pixel symbol) where its siblings say groupIndex: read as groupIndex
  const detectorGroup = mx.groups.find((g) => g.type === 'NXinstrument')!.groups.find((g) => g.type === 'NXdetector_group')!;
  assert.deepEqual(detectorGroup.fields.find((f) => f.name === 'group_index')!.dims.map((d) => d.value), ['groupIndex']);
});

const SITE_SYMBOLS = `<definition name="NXsite" category="application" type="group" extends="NXobject">
  <symbols><symbol name="nP"/><symbol name="nX"/></symbols>
  <group type="NXentry"><field name="definition"/>
    <field name="TEMP_set" nameType="partial" type="NX_FLOAT" minOccurs="0" maxOccurs="2"/>
    <field name="legacy" minOccurs="0" maxOccurs="0"/>
    <choice name="shape">
      <group type="NXoff_geometry"><field name="vertices"/></group>
      <group type="NXcylindrical_geometry"><field name="cylinders"/></group>
    </choice>
    <group type="NXdata" name="data" minOccurs="0">
      <field name="signal" type="NX_NUMBER"><dimensions rank="2"><dim index="1" value="nP"/><dim index="2" value="nX"/></dimensions></field>
      <field name="x" type="NX_NUMBER" minOccurs="0"><dimensions rank="1"><dim index="1" value="nX"/></dimensions></field>
      <field name="position" type="NX_NUMBER" minOccurs="0"><dimensions rank="1"><dim index="1" value="nP"/></dimensions></field>
      <field name="monitor" type="NX_NUMBER" minOccurs="0"><dimensions rank="1"><dim index="1" value="nP"/></dimensions></field>
    </group>
  </group></definition>`;

function siteLibrary(): { lib: NxdlLibrary; cleanup: () => void } {
  const t = tempDir();
  mkdirSync(join(t.dir, 'applications'));
  writeFileSync(join(t.dir, 'applications', 'NXsite.nxdl.xml'), SITE_SYMBOLS);
  return { lib: new NxdlLibrary(t.dir), cleanup: t.cleanup };
}

const step = (name: string, dims = '', trigger = '') =>
  `<field name="${name}" type="NX_FLOAT64">${dims}<strategy mode="STEP"${trigger ? ` trigger="${trigger}"` : ''}/><datasource type="CLIENT"><record name="${name}"/></datasource></field>`;
const staticList = (name: string, values: string) => `<field name="${name}" type="NX_FLOAT64"><dimensions rank="1"/>${values}</field>`;
const siteConfig = (inEntry: string, inData = '') =>
  `<definition><group type="NXentry" name="e"><field name="definition">NXsite</field>${inEntry}${inData ? `<group type="NXdata" name="data">${inData}</group>` : ''}</group></definition>`;
const SHAPE = '<group type="NXoff_geometry" name="shape"><field name="vertices">0</field></group>';

test('a choice: one group of one of the listed classes, then checked as that class', () => {
  const site = siteLibrary();
  try {
    const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
    const errors = (xml: string) => checkPlanAgainstNxdl(session.parse(xml), site.lib).findings.filter((f) => f.severity === 'error').map((f) => `${f.code} ${f.definition} ${f.where.path}`);
    assert.deepEqual(errors(siteConfig(SHAPE)), []);
    assert.deepEqual(errors(siteConfig('<group type="NXcylindrical_geometry" name="shape"><field name="cylinders">0</field></group>')), []);
    assert.deepEqual(errors(siteConfig('')), ['MISSING_GROUP NXsite/ENTRY/shape /definition/group[e:NXentry]']);
    const r = checkPlanAgainstNxdl(session.parse(siteConfig('<group type="NXdata" name="shape"/>')), site.lib);
    const choice = r.findings.find((f) => f.code === 'CHOICE')!;
    assert.equal(choice.severity, 'error');
    assert.equal(choice.definition, 'NXsite/ENTRY/shape');
    assert.deepEqual(choice.where, { line: 1, column: 117, path: '/definition/group[e:NXentry]/group[shape:NXdata]' });
    assert.match(choice.message, /group shape:NXdata is of class NXdata; NXsite\/ENTRY\/shape is one of NXoff_geometry, NXcylindrical_geometry/);
    // the alternative taken is checked as such: cylinders without their field
    assert.deepEqual(errors(siteConfig('<group type="NXcylindrical_geometry" name="shape"/>')),
      ['MISSING_FIELD NXsite/ENTRY/shape/cylinders /definition/group[e:NXentry]/group[shape:NXcylindrical_geometry]']);
  } finally {
    site.cleanup();
  }
});

test('maxOccurs of fields: a partial name matched too often, a field the definition rules out', () => {
  const site = siteLibrary();
  try {
    const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
    const set = (n: string) => `<field name="${n}_set" type="NX_FLOAT">1</field>`;
    const two = checkPlanAgainstNxdl(session.parse(siteConfig(SHAPE + set('a') + set('b'))), site.lib);
    assert.equal(two.errors, 0);
    const three = checkPlanAgainstNxdl(session.parse(siteConfig(SHAPE + set('a') + set('b') + set('c'))), site.lib);
    assert.deepEqual(three.findings.filter((f) => f.severity === 'error').map((f) => [f.code, f.definition, f.where.path, f.message]), [[
      'TOO_MANY', 'NXsite/ENTRY/TEMP_set', '/definition/group[e:NXentry]/field[c_set]', '3 fields in e:NXentry match NXsite/ENTRY/TEMP_set, which allows at most 2']]);
    const legacy = checkPlanAgainstNxdl(session.parse(siteConfig(`${SHAPE}<field name="legacy">x</field>`)), site.lib);
    assert.deepEqual(legacy.findings.filter((f) => f.severity === 'error').map((f) => f.message), ['field legacy must not be in e:NXentry: NXsite/ENTRY/legacy has maxOccurs="0"']);
  } finally {
    site.cleanup();
  }
});

test('dimension symbols before the scan: known lengths compared, record axes of one stream agree, the rest cannot be told', () => {
  const site = siteLibrary();
  try {
    const session = new WriterSession({ extensions: Kernel.withExtensions([]) });
    const findings = (inData: string) => checkPlanAgainstNxdl(session.parse(siteConfig(SHAPE, inData)), site.lib).findings
      .filter((f) => f.code.startsWith('SYMBOL')).map((f) => `${f.severity} ${f.code} ${f.definition}`);
    const signal = (n: number, x: number) => `<field name="signal" type="NX_FLOAT64"><dimensions rank="2"/>${Array.from({ length: n }, () => Array(x).fill(1).join(' ')).join('\n')}</field>`;
    // static: every length known
    assert.deepEqual(findings(signal(2, 3) + staticList('x', '1 2 3') + staticList('position', '0 1')), []);
    assert.deepEqual(findings(signal(2, 3) + staticList('x', '1 2 3 4') + staticList('position', '0 1')), ['error SYMBOL NXsite/ENTRY/data/x']);
    // STEP: nP is the record axis of each; one record stream, one length
    const stepSignal = step('signal', '<dimensions rank="1"><dim index="1" value="3"/></dimensions>');
    assert.deepEqual(findings(stepSignal + step('position') + staticList('x', '1 2 3')), []);
    assert.deepEqual(findings(stepSignal + step('position') + staticList('x', '1 2')), ['error SYMBOL NXsite/ENTRY/data/x']);
    // a static list against the records, or records of another trigger: only the scan tells
    assert.deepEqual(findings(stepSignal + staticList('position', '0 1 2')), ['warning SYMBOL_UNKNOWN NXsite/ENTRY/data/position']);
    assert.deepEqual(findings(stepSignal + step('monitor', '', 'slow')), ['warning SYMBOL_UNKNOWN NXsite/ENTRY/data/monitor']);
    // the monitor's records agree with the signal's: the doubt about the static list is raised once
    assert.deepEqual(findings(stepSignal + staticList('position', '0 1 2') + step('monitor')), ['warning SYMBOL_UNKNOWN NXsite/ENTRY/data/position']);
    const r = checkPlanAgainstNxdl(session.parse(siteConfig(SHAPE, stepSignal + staticList('position', '0 1 2'))), site.lib);
    const w = r.findings.find((f) => f.code === 'SYMBOL_UNKNOWN')!;
    assert.equal(w.where.path, '/definition/group[e:NXentry]/group[data:NXdata]/field[position]');
    assert.match(w.message, /^cannot tell before the scan whether field position axis 1 \(length 3\) matches where signal axis 1 has as many entries as the scan's records \(NXsite\/ENTRY\/data\/signal; line 1, column \d+, at \/definition\/group\[e:NXentry\]\/group\[data:NXdata\]\/field\[signal\]\); NXsite gives both axes the symbol nP$/);
    // one odd field is named once, not every field after it
    assert.deepEqual(findings(signal(2, 3) + staticList('position', '0 1 2') + staticList('monitor', '5 6')), ['error SYMBOL NXsite/ENTRY/data/position']);
  } finally {
    site.cleanup();
  }
});

test('a file\'s soft links stand for their targets: relative values, links through linked groups, links to links', () => {
  // a reader's tree as an HDF5 reader gives it: a linked object appears at the link's path, with the link's value
  type Node = ReadGroup | ReadField;
  const fieldAt = (path: string, shape: number[], softLink?: string): ReadField => ({
    kind: 'field', path, type: 'int32', typeLabel: 'int32', shape, attributes: () => [], read: () => undefined, ...(softLink ? { softLink } : {}),
  });
  const groupAt = (path: string, nxClass: string, kids: Array<[string, (p: string) => Node]>, softLink?: string): ReadGroup => ({
    kind: 'group', path, ...(softLink ? { softLink } : {}),
    attributes: () => [{ name: 'NX_class', type: 'string', shape: [], value: () => ({ type: 'string', shape: [], data: [nxClass] }) }],
    children: () => kids.map(([n, make]) => ({ name: n, node: make(path === '/' ? `/${n}` : `${path}/${n}`) })),
  });
  const detector = (shape: number[]) => (p: string) => groupAt(p, 'NXdetector', [['data', (q) => fieldAt(q, shape)]]);
  const root = groupAt('/', '', [['entry', (p) => groupAt(p, 'NXentry', [
    ['instrument', (q) => groupAt(q, 'NXinstrument', [['detector', detector([3, 4, 4])], ['detector2', detector([3, 2, 2])]])],
    // a relative link, a group link whose data is detector2's, and a link to that link
    ['data', (q) => groupAt(q, 'NXdata', [['data', (r) => fieldAt(r, [3, 2, 2], '../instrument/detector2/data')]])],
    ['view', (q) => groupAt(q, 'NXinstrument', [['detector', detector([3, 4, 4])], ['detector2', detector([3, 2, 2])]], '/entry/instrument')],
    ['alias', (q) => fieldAt(q, [3, 2, 2], '/entry/data/data')],
  ])]]);
  const reader: SinkReader = { path: 'test.nxs', root, close: () => undefined };
  const tree = observeFile(reader);
  const at = (path: string): ObservedNode => path.split('/').filter(Boolean).reduce<ObservedNode>((g, n) => (g as ObservedGroup).children.find((c) => c.name === n)!, tree);
  assert.equal((at('/entry/data/data') as ObservedField).linkTarget, '/entry/instrument/detector2/data');
  assert.equal((at('/entry/view') as ObservedGroup).linkTarget, '/entry/instrument');
  assert.equal((at('/entry/view/detector/data') as ObservedField).linkTarget, '/entry/instrument/detector/data');
  assert.equal((at('/entry/alias') as ObservedField).linkTarget, '/entry/data/data');
  assert.equal((at('/entry/instrument/detector/data') as ObservedField).linkTarget, undefined);
  // NXmx's i and j: the NXdata's images are detector2's, whose pixels may differ from detector's
  const symbols = validateTree(tree, lib, { application: 'NXmx' }).findings.filter((f) => f.code.startsWith('SYMBOL'));
  assert.deepEqual(symbols, []);
});
