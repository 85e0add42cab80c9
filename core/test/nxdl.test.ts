// The NXDL model (occurrence rules, extends, name patterns), units categories, and the check of a
// configuration's plan without writing anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kernel, WriterSession } from '../src/index.js';
import { NxdlLibrary, nameMatches, nxdlLibrary, parseDefinition, parseUnits, unitsFit, checkPlanAgainstNxdl } from '../src/nxdl/index.js';
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
