// NXDL validation end to end: configurations built from application definitions (NXmx, NXxas)
// with required parts removed one by one, wrong types, units, values and ranks, and valid ones;
// each checked before the scan (nxsw check's rules on the plan) and, after writing the scan,
// in the written file (nxsw validate's rules through the HDF5 sink's reader: the native sink's
// and the h5wasm sink's, which must agree).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  Kernel, checkPlanAgainstNxdl, parseChoices, nxdlLibrary, parseXml, serializeXml, validateFileAgainstNxdl,
  type NxdlReport, type SinkFactory, type XmlElement,
} from '@nxsw/core';
import { Hdf5SinkFactory } from '@nxsw/sink-hdf5';
import { SYSTEM_PYTHON, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { REPO, runScan, newSession, tempDir } from './scan.js';

const CLI = join(REPO, 'core/dist/src/cli/main.js');
const lib = nxdlLibrary();
const read = (p: string) => readFileSync(join(REPO, p), 'utf8');
const jsonLines = (p: string) => read(p).split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as unknown);

interface Example {
  readonly xml: string;
  readonly global: unknown;
  readonly records: unknown[];
  readonly final?: unknown;
}
const NXMX: Example = {
  xml: read('examples/nxmx/nxmx.xml'),
  global: JSON.parse(read('examples/scan/global.json')),
  records: jsonLines('examples/nxmx/records.jsonl').slice(0, 5),
  final: JSON.parse(read('examples/scan/final.json')),
};
const NXXAS: Example = {
  xml: read('examples/nxxas/nxxas.xml'),
  global: JSON.parse(read('examples/nxxas/global.json')),
  records: jsonLines('examples/nxxas/records.jsonl').slice(0, 5),
};
// NXtomo (symbols nFrames, xSize, ySize): 5 frames of 2 x 3 pixels, one rotation angle each
const NXTOMO: Example = {
  xml: `<definition>
  <group type="NXentry" name="entry">
    <field name="definition">NXtomo</field>
    <field name="title">a tomography scan</field>
    <group type="NXinstrument" name="instrument">
      <group type="NXsource" name="source"><field name="type">Synchrotron X-ray Source</field><field name="name">PETRA III</field><field name="probe">x-ray</field></group>
      <group type="NXdetector" name="detector">
        <field name="data" type="NX_INT32" units="counts" signal="1"><dimensions rank="2"><dim index="1" value="2"/><dim index="2" value="3"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="image"/></datasource></field>
        <field name="image_key" type="NX_INT32"><strategy mode="STEP"/><datasource type="CLIENT"><record name="key"/></datasource></field>
        <field name="x_pixel_size" type="NX_FLOAT" units="um">6.5</field>
      </group>
    </group>
    <group type="NXsample" name="sample">
      <field name="name">wood</field>
      <field name="rotation_angle" type="NX_FLOAT" units="deg" axis="1"><strategy mode="STEP"/><datasource type="CLIENT"><record name="angle"/></datasource></field>
    </group>
    <group type="NXmonitor" name="control">
      <field name="data" type="NX_FLOAT" units="mA"><strategy mode="STEP"/><datasource type="CLIENT"><record name="current"/></datasource></field>
    </group>
    <group type="NXdata" name="data">
      <link name="data" target="/entry/instrument/detector/data"/>
      <link name="rotation_angle" target="/entry/sample/rotation_angle"/>
      <link name="image_key" target="/entry/instrument/detector/image_key"/>
    </group>
  </group>
</definition>`,
  global: {},
  records: [0, 1, 2, 3, 4].map((k) => ({ data: { image: [[k, 1, 2], [3, 4, 5]], key: k === 0 ? 2 : 0, angle: 45 * k, current: 100 - k } })),
};

// ---- editing a configuration by element path (names of groups, fields, links; @name for <attribute>)

interface Editable { name: string; attributes: Record<string, string>; children: Editable[]; text: string }
const toEditable = (e: XmlElement): Editable => ({ name: e.name, attributes: { ...e.attributes }, children: e.children.map(toEditable), text: e.text });
const serialize = (e: Editable): string => serializeXml(e as unknown as XmlElement);

function find(root: Editable, path: string): { parent: Editable; el: Editable } {
  let parent = root;
  let el: Editable | undefined = root;
  for (const seg of path.split('/')) {
    parent = el!;
    el = seg.startsWith('@')
      ? parent.children.find((c) => c.name === 'attribute' && c.attributes.name === seg.slice(1))
      : parent.children.find((c) => c.name !== 'attribute' && c.attributes.name === seg);
    assert.ok(el, `test setup: no element ${seg} in ${path}`);
  }
  return { parent, el: el! };
}

type Edit = (root: Editable) => void;
const remove = (path: string): Edit => (root) => {
  const { parent, el } = find(root, path);
  parent.children.splice(parent.children.indexOf(el), 1);
};
const setAttr = (path: string, attr: string, value: string): Edit => (root) => {
  find(root, path).el.attributes[attr] = value;
};
const setText = (path: string, text: string): Edit => (root) => {
  find(root, path).el.text = text;
};
const addChild = (path: string, xml: string): Edit => (root) => {
  find(root, path).el.children.push(toEditable(parseXml(xml)));
};

function edited(xml: string, edits: readonly Edit[]): string {
  const root = toEditable(parseXml(xml));
  for (const e of edits) e(root);
  return serialize(root);
}

// ---- the cases

type Expected = ReadonlyArray<readonly [code: string, definition: string]>;
interface Case {
  readonly name: string;
  readonly example: Example;
  readonly edits: readonly Edit[];
  /** the errors, as (code, definition path), both before and after the scan */
  readonly errors: Expected;
  /** errors only the written file can show (values that come from datasources); default: errors */
  readonly fileErrors?: Expected;
  /** warnings that must be among the findings (code, definition path) */
  readonly warnings?: Expected;
  /** warnings that must be among the findings before the scan only ("cannot tell before the scan") */
  readonly checkWarnings?: Expected;
  /** findings (any severity) that must not be there, before the scan or after it */
  readonly absent?: Expected;
  /** no finding is about a place whose path has this in it */
  readonly quietAt?: string;
  /** compare only the errors of these codes (the case adds a group that misses other parts) */
  readonly only?: readonly string[];
  readonly application?: string;
  /** some removals make the scan itself impossible (a link to a removed field) */
  readonly write?: boolean;
  /** a record field added to every record */
  readonly recordExtra?: Record<string, unknown>;
}

const D = 'entry1/instrument/detector';
const M = `${D}/module`;
const MX = 'NXmx/ENTRY';
const missing = (code: string, def: string) => [code, def] as const;

const NXMX_CASES: Case[] = [
  { name: 'the example scan made NXmx', example: NXMX, edits: [], errors: [], warnings: [['UNKNOWN_NAME', 'NXdetector'], ['RECOMMENDED_MISSING', `${MX}/INSTRUMENT/DETECTOR/distance`]] },
  ...([
    ['entry1/start_time', 'MISSING_FIELD', `${MX}/start_time`],
    ['entry1/end_time_estimated', 'MISSING_FIELD', `${MX}/end_time_estimated`],
    ['entry1/sample', 'MISSING_GROUP', `${MX}/SAMPLE`],
    ['entry1/sample/name', 'MISSING_FIELD', `${MX}/SAMPLE/name`],
    ['entry1/sample/depends_on', 'MISSING_FIELD', `${MX}/SAMPLE/depends_on`],
    ['entry1/instrument/name', 'MISSING_FIELD', `${MX}/INSTRUMENT/name`],
    [`${D}/sensor_material`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/sensor_material`],
    [`${D}/sensor_thickness`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/sensor_thickness`],
    [M, 'MISSING_GROUP', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE`],
    [`${M}/data_origin`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/data_origin`],
    [`${M}/data_size`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/data_size`],
    [`${M}/fast_pixel_direction`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/fast_pixel_direction`],
    [`${M}/slow_pixel_direction`, 'MISSING_FIELD', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/slow_pixel_direction`],
    ['entry1/instrument/beam', 'MISSING_GROUP', `${MX}/INSTRUMENT/BEAM`],
    ['entry1/instrument/beam/incident_wavelength', 'MISSING_FIELD', `${MX}/INSTRUMENT/BEAM/incident_wavelength`],
    ['entry1/source', 'MISSING_GROUP', `${MX}/SOURCE`],
    ['entry1/source/name', 'MISSING_FIELD', `${MX}/SOURCE/name`],
    ['entry1/data', 'MISSING_GROUP', `${MX}/DATA`],
  ] as const).map(([path, code, def]): Case => ({ name: `without ${path}`, example: NXMX, edits: [remove(path)], errors: [missing(code, def)] })),
  {
    name: 'without the instrument (its NXdata link target goes too)', example: NXMX, write: false,
    edits: [remove('entry1/instrument'), remove('entry1/data/data')], errors: [missing('MISSING_GROUP', `${MX}/INSTRUMENT`)],
  },
  {
    name: 'without the definition field, checked with --app NXmx', example: NXMX, application: 'NXmx',
    edits: [remove('entry1/definition')], errors: [missing('MISSING_FIELD', `${MX}/definition`)],
  },
  {
    name: 'an attribute of a transformation removed', example: NXMX,
    edits: [(root) => delete find(root, `${M}/fast_pixel_direction`).el.attributes.transformation_type],
    errors: [missing('MISSING_ATTRIBUTE', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/fast_pixel_direction/@transformation_type`)],
  },
  {
    name: 'units of the wrong category (a thickness in degrees)', example: NXMX,
    edits: [setAttr(`${D}/sensor_thickness`, 'units', 'deg')], errors: [['UNITS', `${MX}/INSTRUMENT/DETECTOR/sensor_thickness`]],
  },
  {
    name: "a wavelength in 'A' (amperes)", example: NXMX,
    edits: [setAttr('entry1/instrument/beam/incident_wavelength', 'units', 'A')], errors: [['UNITS', `${MX}/INSTRUMENT/BEAM/incident_wavelength`]],
  },
  {
    name: 'a field without the units its definition asks for', example: NXMX,
    edits: [(root) => delete find(root, `${D}/sensor_thickness`).el.attributes.units], errors: [['MISSING_UNITS', `${MX}/INSTRUMENT/DETECTOR/sensor_thickness`]],
  },
  {
    name: 'an integer where NX_FLOAT is asked for', example: NXMX,
    edits: [setAttr(`${D}/sensor_thickness`, 'type', 'NX_INT32'), setText(`${D}/sensor_thickness`, '1')], errors: [['TYPE', `${MX}/INSTRUMENT/DETECTOR/sensor_thickness`]],
  },
  {
    name: 'a float where NX_INT is asked for', example: NXMX,
    edits: [setAttr(`${M}/data_origin`, 'type', 'NX_FLOAT32')], errors: [['TYPE', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/data_origin`]],
  },
  {
    name: 'a text where NX_NUMBER is asked for', example: NXMX,
    edits: [setAttr(`${M}/fast_pixel_direction`, 'type', 'NX_CHAR')], errors: [['TYPE', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/fast_pixel_direction`]],
  },
  {
    name: 'a transformation_type outside its enumeration', example: NXMX,
    edits: [setAttr(`${M}/slow_pixel_direction`, 'transformation_type', 'rotation')],
    errors: [['ENUMERATION', `${MX}/INSTRUMENT/DETECTOR/DETECTOR_MODULE/slow_pixel_direction/@transformation_type`]],
  },
  {
    name: 'a static beam profile outside the enumeration', example: NXMX,
    edits: [addChild('entry1/instrument/beam', '<field name="profile">gauss</field>')], errors: [['ENUMERATION', `${MX}/INSTRUMENT/BEAM/profile`]],
  },
  {
    name: 'a beam profile from the client outside the enumeration: only the file shows it', example: NXMX, recordExtra: { profile: 'gauss' },
    edits: [addChild('entry1/instrument/beam', '<field name="profile"><strategy mode="STEP"/><datasource type="CLIENT"><record name="profile"/></datasource></field>')],
    errors: [], fileErrors: [['ENUMERATION', `${MX}/INSTRUMENT/BEAM/profile`]],
  },
  {
    name: 'a start time that is not ISO 8601', example: NXMX,
    edits: [remove('entry1/start_time'), addChild('entry1', '<field name="start_time" type="NX_DATE_TIME">yesterday at noon</field>')],
    errors: [['VALUE', `${MX}/start_time`]],
  },
  {
    name: 'detector data of rank 2 (a spectrum per step) where NXmx asks for images', example: NXMX,
    edits: [remove(`${D}/data`), remove('entry1/data/data'), addChild(D, '<field name="data" type="NX_INT32" units="counts"><dimensions rank="1"><dim index="1" value="16"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="p09/mca/exp.02"/></datasource></field>')],
    errors: [['RANK', `${MX}/INSTRUMENT/DETECTOR/data`]],
  },
  {
    name: 'a depends_on chain pointing at nothing', example: NXMX,
    edits: [setText('entry1/sample/depends_on', 'transformations/phi')], errors: [['DEPENDS_ON', 'NXtransformations']],
  },
  {
    name: 'a depends_on chain that loops', example: NXMX,
    edits: [setAttr(`${D}/transformations/det_z`, 'depends_on', '/entry1/instrument/detector/transformations/det_z')], errors: [['DEPENDS_ON', 'NXtransformations']],
  },
  {
    name: 'a transformation without @vector, a translation in degrees', example: NXMX,
    edits: [(root) => delete find(root, `${D}/transformations/det_z`).el.attributes.vector, setAttr(`${D}/transformations/det_z`, 'units', 'deg')],
    errors: [['TRANSFORMATION', 'NXtransformations'], ['TRANSFORMATION', 'NXtransformations']],
  },
  {
    name: 'deprecated parts (of the application definition, of a base class) are warnings', example: NXMX,
    edits: [
      addChild('entry1/instrument/beam', '<field name="incident_polarisation_stokes" type="NX_FLOAT"><dimensions rank="2"/>1 0 0 0</field>'),
      addChild('entry1', '<field name="definition_local">NXmx</field>'),
    ],
    // the stokes vector is given once where NXmx asks for one per scan point (nP): the file shows it
    errors: [], fileErrors: [['SYMBOL', `${MX}/INSTRUMENT/BEAM/incident_polarisation_stokes`]],
    warnings: [['DEPRECATED', `${MX}/INSTRUMENT/BEAM/incident_polarisation_stokes`], ['DEPRECATED', 'NXentry/definition_local']],
  },
  {
    name: 'a beam size of 3 numbers where NXmx asks for 2', example: NXMX,
    edits: [addChild('entry1/instrument/beam', '<field name="incident_beam_size" type="NX_FLOAT" units="um"><dimensions rank="1"/>10 20 30</field>')],
    errors: [['DIMENSION', `${MX}/INSTRUMENT/BEAM/incident_beam_size`]],
  },
  {
    name: 'a definition field naming another application, checked with --app NXmx', example: NXMX, application: 'NXmx',
    edits: [setText('entry1/definition', 'NXtomo')], errors: [['ENUMERATION', `${MX}/definition`]],
  },
];

const grid = (rows: number, cols: number) => Array.from({ length: rows }, () => Array(cols).fill(0).join(' ')).join('\n');
const SYMBOL_CASES: Case[] = [
  {
    name: "a pixel mask whose axes are not the images' (NXmx symbols i, j)", example: NXMX,
    edits: [addChild(D, `<field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 3)}</field>`)],
    errors: [['SYMBOL', `${MX}/INSTRUMENT/DETECTOR/pixel_mask`]],
  },
  {
    name: "a pixel mask of the images' shape", example: NXMX,
    edits: [addChild(D, `<field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 4)}</field>`)],
    errors: [], absent: [['SYMBOL_UNKNOWN', `${MX}/INSTRUMENT/DETECTOR/pixel_mask`]],
  },
  {
    name: 'a polarization per scan point from the client (nP: the records)', example: NXMX, recordExtra: { stokes: [1, 0, 0, 0] },
    edits: [addChild('entry1/instrument/beam', '<field name="incident_polarization_stokes" type="NX_FLOAT64" units="1"><dimensions rank="1"><dim index="1" value="4"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="stokes"/></datasource></field>')],
    errors: [], absent: [['SYMBOL_UNKNOWN', `${MX}/INSTRUMENT/BEAM/incident_polarization_stokes`]],
  },
  {
    name: 'one polarization for a scan of 5 points: cannot tell before the scan, wrong in the file', example: NXMX,
    edits: [addChild('entry1/instrument/beam', '<field name="incident_polarization_stokes" type="NX_FLOAT64" units="1"><dimensions rank="2"/>1 0 0 0</field>')],
    errors: [], fileErrors: [['SYMBOL', `${MX}/INSTRUMENT/BEAM/incident_polarization_stokes`]],
    checkWarnings: [['SYMBOL_UNKNOWN', `${MX}/INSTRUMENT/BEAM/incident_polarization_stokes`]],
  },
  {
    name: 'a second detector with other pixels: i and j bind per detector, nP across them', example: NXMX, recordExtra: { image2: [[1, 2], [3, 4]] },
    only: ['SYMBOL', 'SYMBOL_UNKNOWN'],
    edits: [addChild('entry1/instrument', '<group type="NXdetector" name="detector2"><field name="data" type="NX_INT32" units="counts"><dimensions rank="2"><dim index="1" value="2"/><dim index="2" value="2"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="image2"/></datasource></field></group>')],
    errors: [],
  },
  {
    name: "a second detector whose pixel mask is the first detector's shape", example: NXMX, recordExtra: { image2: [[1, 2], [3, 4]] },
    only: ['SYMBOL', 'SYMBOL_UNKNOWN'],
    edits: [addChild('entry1/instrument', `<group type="NXdetector" name="detector2"><field name="data" type="NX_INT32" units="counts"><dimensions rank="2"><dim index="1" value="2"/><dim index="2" value="2"/></dimensions><strategy mode="STEP"/><datasource type="CLIENT"><record name="image2"/></datasource></field><field name="pixel_mask" type="NX_INT32"><dimensions rank="2"/>${grid(4, 4)}</field></group>`)],
    errors: [['SYMBOL', `${MX}/INSTRUMENT/DETECTOR/pixel_mask`], ['SYMBOL', `${MX}/INSTRUMENT/DETECTOR/pixel_mask`]],
  },
  {
    name: 'flatfield_error, which NXmx rules out (maxOccurs="0")', example: NXMX,
    edits: [addChild(D, `<field name="flatfield_error" type="NX_FLOAT64"><dimensions rank="2"/>${grid(4, 4)}</field>`)],
    errors: [['TOO_MANY', `${MX}/INSTRUMENT/DETECTOR/flatfield_error`]],
  },
  {
    name: "a pixel shape, one of NXdetector's choice of classes", example: NXMX,
    edits: [addChild(D, '<group type="NXcylindrical_geometry" name="pixel_shape"/>')],
    errors: [], absent: [['CHOICE', 'NXdetector/pixel_shape']], quietAt: 'pixel_shape',
  },
  {
    name: "a pixel shape of a class NXdetector's choice does not list", example: NXMX,
    edits: [addChild(D, '<group type="NXdata" name="pixel_shape"/>')],
    errors: [], warnings: [['CHOICE', 'NXdetector/pixel_shape']],
  },
];

const TOMO = 'NXtomo/ENTRY';
const NXTOMO_CASES: Case[] = [
  { name: 'an NXtomo scan: frames, keys, angles and monitor all of nFrames', example: NXTOMO, edits: [], errors: [], absent: [['SYMBOL_UNKNOWN', `${TOMO}/sample/rotation_angle`]] },
  {
    name: 'NXtomo: three rotation angles given statically for five frames', example: NXTOMO,
    edits: [remove('entry/sample/rotation_angle'), addChild('entry/sample', '<field name="rotation_angle" type="NX_FLOAT" units="deg" axis="1"><dimensions rank="1"/>0 90 180</field>')],
    errors: [], fileErrors: [['SYMBOL', `${TOMO}/sample/rotation_angle`]], checkWarnings: [['SYMBOL_UNKNOWN', `${TOMO}/sample/rotation_angle`]],
    absent: [['SYMBOL_UNKNOWN', `${TOMO}/control/data`]], // its records agree with the images': the doubt is told once
  },
  {
    name: 'NXtomo: static angles and translations of different lengths (both before and after the scan)', example: NXTOMO,
    edits: [
      remove('entry/sample/rotation_angle'),
      addChild('entry/sample', '<field name="rotation_angle" type="NX_FLOAT" units="deg" axis="1"><dimensions rank="1"/>0 45 90 135 180</field>'),
      addChild('entry/sample', '<field name="x_translation" type="NX_FLOAT" units="mm"><dimensions rank="1"/>0 1 2 3</field>'),
    ],
    errors: [['SYMBOL', `${TOMO}/sample/x_translation`]],
  },
];

const XAS = 'NXxas/ENTRY';
const NXXAS_CASES: Case[] = [
  { name: 'an NXxas energy scan', example: NXXAS, edits: [], errors: [] },
  ...([
    ['entry/title', 'MISSING_FIELD', `${XAS}/title`],
    ['entry/instrument/source/probe', 'MISSING_FIELD', `${XAS}/INSTRUMENT/SOURCE/probe`],
    ['entry/instrument/incoming_beam', 'MISSING_GROUP', `${XAS}/INSTRUMENT/incoming_beam`],
    ['entry/monitor/preset', 'MISSING_FIELD', `${XAS}/MONITOR/preset`],
    ['entry/data/mode', 'MISSING_FIELD', `${XAS}/DATA/mode`],
    ['entry/data/energy', 'MISSING_LINK', `${XAS}/DATA/energy`],
  ] as const).map(([path, code, def]): Case => ({ name: `without ${path}`, example: NXXAS, edits: [remove(path)], errors: [missing(code, def)] })),
  {
    name: 'a named group under another name', example: NXXAS, write: false,
    edits: [setAttr('entry/instrument/absorbed_beam', 'name', 'transmitted'), remove('entry/data/absorbed_beam')],
    errors: [missing('MISSING_GROUP', `${XAS}/INSTRUMENT/absorbed_beam`), missing('MISSING_LINK', `${XAS}/DATA/absorbed_beam`)],
  },
  {
    name: 'a link pointing elsewhere than the definition says', example: NXXAS,
    edits: [setAttr('entry/data/energy', 'target', '/entry/instrument/incoming_beam/data')],
    errors: [['LINK_TARGET', `${XAS}/DATA/energy`]],
  },
  {
    name: 'a detection mode outside the enumeration', example: NXXAS,
    edits: [setText('entry/data/mode', 'Reflection')], errors: [['ENUMERATION', `${XAS}/DATA/mode`]],
  },
  {
    name: 'an energy axis of rank 2', example: NXXAS, recordExtra: { energy: [8.95, 8.96] },
    edits: [addChild('entry/instrument/monochromator/energy', '<dimensions rank="1"><dim index="1" value="2"/></dimensions>')],
    errors: [['RANK', `${XAS}/INSTRUMENT/monochromator/energy`]],
  },
  {
    name: 'base classes: an unknown field, a wrong type, an unknown class, a legacy attribute are warnings', example: NXXAS,
    edits: [
      addChild('entry/instrument/source', '<field name="current" type="NX_CHAR">high</field>'),
      addChild('entry/instrument/source', '<field name="colour">blue</field>'),
      addChild('entry', '<group type="NXfrobnicator" name="extra"/>'),
      (root) => delete find(root, 'entry/instrument/monochromator/energy').el.attributes.axis,
    ],
    errors: [],
    warnings: [['TYPE', 'NXsource/current'], ['UNKNOWN_NAME', 'NXsource'], ['UNKNOWN_NAME', 'NXentry'], ['UNKNOWN_CLASS', 'NXfrobnicator'], ['LEGACY_ATTRIBUTE', `${XAS}/INSTRUMENT/monochromator/energy/@axis`]],
  },
];

// ---- running them

const errorsOf = (r: NxdlReport, only?: readonly string[]) => r.findings.filter((f) => f.severity === 'error' && (!only || only.includes(f.code))).map((f) => `${f.code} ${f.definition}`).sort();
const asSet = (e: Expected) => e.map(([c, d]) => `${c} ${d}`).sort();

function assertWarnings(r: NxdlReport, expected: Expected | undefined, what: string): void {
  for (const [code, def] of expected ?? []) {
    assert.ok(r.findings.some((f) => f.severity === 'warning' && f.code === code && f.definition === def),
      `${what}: expected a ${code} warning for ${def}; got\n${r.findings.map((f) => `${f.severity} ${f.code} ${f.definition}`).join('\n')}`);
  }
}

function assertAbsent(r: NxdlReport, absent: Expected | undefined, what: string): void {
  for (const [code, def] of absent ?? []) {
    const hit = r.findings.find((f) => f.code === code && f.definition === def);
    assert.equal(hit, undefined, `${what}: unexpected ${JSON.stringify(hit)}`);
  }
}

async function checkConfig(xml: string, application?: string): Promise<NxdlReport> {
  return checkPlanAgainstNxdl((await newSession()).parse(xml), lib, { application });
}

// the sink the kernel chose for HDF5 reads files back (the native one where the system library
// loads, as nxsw validate does); the h5wasm sink reads each file too and must report the same
// the same choices as the CLI (NXSW_CHOOSE: the suite's h5wasm run)
const kernel = await Kernel.start({ cwd: REPO, choose: parseChoices() });
const servingReader = kernel.find<SinkFactory>('sink', 'HDF5')!;
const wasmReader = new Hdf5SinkFactory();
after(() => kernel.stop());

async function validateWith(sink: SinkFactory, file: string, application?: string, definitions = lib): Promise<NxdlReport> {
  const reader = await sink.openReader!(file);
  try {
    return validateFileAgainstNxdl(reader, definitions, { application });
  } finally {
    reader.close();
  }
}

async function validateFile(file: string, application?: string, definitions = lib): Promise<NxdlReport> {
  const report = await validateWith(servingReader, file, application, definitions);
  if (servingReader !== wasmReader) assert.deepEqual(await validateWith(wasmReader, file, application, definitions), report, `the h5wasm reader disagrees with ${kernel.providerOf('sink', 'HDF5')} on ${file}`);
  return report;
}

for (const c of [...NXMX_CASES, ...SYMBOL_CASES, ...NXTOMO_CASES, ...NXXAS_CASES]) {
  test(`NXDL: ${c.name}`, async () => {
    const xml = edited(c.example.xml, c.edits);
    const before = await checkConfig(xml, c.application);
    assert.deepEqual(errorsOf(before, c.only), asSet(c.errors), `check:\n${before.findings.map((f) => `${f.severity} ${f.code} ${f.definition} ${f.message}`).join('\n')}`);
    assertWarnings(before, [...(c.warnings ?? []), ...(c.checkWarnings ?? [])], 'check');
    assertAbsent(before, c.absent, 'check');
    assert.ok(!c.quietAt || !before.findings.some((f) => f.where.path.includes(c.quietAt!)), 'check');
    if (!c.only) assert.equal(before.ok, c.errors.length === 0);
    // every finding names a place in the configuration
    for (const f of before.findings) assert.ok(f.where.line! > 0 && f.where.path.startsWith('/definition'), JSON.stringify(f));
    if (c.write === false) return;

    const t = tempDir();
    try {
      const file = join(t.dir, 'scan.nxs');
      const records = c.recordExtra ? c.example.records.map((r) => ({ data: { ...(r as { data: object }).data, ...c.recordExtra } })) : c.example.records;
      const { recordErrors } = await runScan({ xml, fileName: file, global: c.example.global, records, final: c.example.final });
      assert.deepEqual(recordErrors, []);
      const after = await validateFile(file, c.application);
      assert.deepEqual(errorsOf(after, c.only), asSet(c.fileErrors ?? c.errors), `validate:\n${after.findings.map((f) => `${f.severity} ${f.code} ${f.definition} ${f.message}`).join('\n')}`);
      assertWarnings(after, c.warnings, 'validate');
      assertAbsent(after, c.absent, 'validate');
      assert.ok(!c.quietAt || !after.findings.some((f) => f.where.path.includes(c.quietAt!)), 'validate');
      // the file is exact: nothing is left for the scan to tell
      assert.ok(!after.findings.some((f) => f.code === 'SYMBOL_UNKNOWN'));
      for (const f of after.findings) assert.ok(f.where.path.startsWith('/') && f.where.line === undefined, JSON.stringify(f));
    } finally {
      t.cleanup();
    }
  });
}

test('nxsw check and nxsw validate: exit codes, text and --json', async () => {
  const t = tempDir();
  try {
    const good = join(REPO, 'examples/nxxas/nxxas.xml');
    const bad = join(t.dir, 'bad.xml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, edited(NXXAS.xml, [remove('entry/monitor/preset')]));
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });

    const ok = run(['check', good]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /NXDL: 0 errors, 0 warnings against NXDL v\d{4}\.\d{2} \(\/definition\/group\[entry:NXentry\] as NXxas\)/);
    const no = run(['check', bad, '--json']);
    assert.equal(no.status, 1);
    const j = JSON.parse(no.stdout) as { ok: boolean; nxdl: NxdlReport };
    assert.equal(j.ok, false);
    assert.deepEqual(j.nxdl.findings.map((f) => [f.code, f.definition, f.where.path]),
      [['MISSING_FIELD', `${XAS}/MONITOR/preset`, '/definition/group[entry:NXentry]/group[monitor:NXmonitor]']]);
    const text = run(['check', bad]);
    assert.match(text.stdout, /error \[MISSING_FIELD\] line \d+, column \d+, at \/definition\/group\[entry:NXentry\]\/group\[monitor:NXmonitor\]: required field 'preset' \(NXxas\/ENTRY\/MONITOR\/preset\) is missing/);

    const file = join(t.dir, 'xas.nxs');
    const w = run(['write', bad, '-o', file, '-g', 'examples/nxxas/global.json', '-r', 'examples/nxxas/records.jsonl']);
    assert.equal(w.status, 0, w.stderr);
    const v = run(['validate', file]);
    assert.equal(v.status, 1);
    assert.match(v.stdout, /error \[MISSING_FIELD\] \/entry\/monitor: required field 'preset' \(NXxas\/ENTRY\/MONITOR\/preset\) is missing/);
    const vj = JSON.parse(run(['validate', file, '--json', '--app', 'NXxas']).stdout) as NxdlReport & { seconds: number; reader: string };
    assert.deepEqual(vj.entries, [{ path: '/entry', application: 'NXxas', from: 'option' }]);
    assert.equal(vj.errors, 1);
    // the reader is the sink serving HDF5: the native one where the system library loads ...
    assert.equal(vj.reader, kernel.providerOf('sink', 'HDF5'));
    // ... the h5wasm one where it does not (or where it is chosen), with the same findings
    for (const env of [{ NXSW_HDF5_LIB: '/nonexistent/libhdf5.so' }, { NXSW_CHOOSE: 'sink:HDF5=@nxsw/sink-hdf5' }]) {
      const w = spawnSync(process.execPath, [CLI, 'validate', file, '--json', '--app', 'NXxas'], { cwd: REPO, encoding: 'utf8', env: { ...process.env, ...env } });
      const wj = JSON.parse(w.stdout) as typeof vj;
      assert.equal(wj.reader, '@nxsw/sink-hdf5', JSON.stringify(env));
      assert.deepEqual({ ...wj, seconds: 0, reader: '' }, { ...vj, seconds: 0, reader: '' });
    }

    // a site's own folder of definitions, an unknown application, a bad command line
    const own = run(['validate', file, '--nxdl', join(REPO, 'core/nxdl'), '--app', 'NXnothing']);
    assert.equal(own.status, 1);
    assert.match(own.stdout, /UNKNOWN_APPLICATION.*no application definition NXnothing in .*core\/nxdl \(known: .*NXmx.*\)/);
    const missingDir = run(['check', good, '--nxdl', join(t.dir, 'nowhere')]);
    assert.equal(missingDir.status, 1);
    assert.match(missingDir.stderr, /the NXDL folder .*nowhere does not exist/);
    assert.equal(run(['validate']).status, 2);
    const notHdf5 = run(['validate', good]);
    assert.equal(notHdf5.status, 1);
    assert.ok(notHdf5.stderr.includes(`${good}: cannot open it as an HDF5 file`), notHdf5.stderr);
    const missing = run(['validate', join(t.dir, 'none.nxs')]);
    assert.equal(missing.status, 1);
    assert.ok(missing.stderr.includes(`${join(t.dir, 'none.nxs')}: no such file`), missing.stderr);
  } finally {
    t.cleanup();
  }
});

test('the shipped definitions carry their licence notice', () => {
  assert.ok(existsSync(join(REPO, 'core/nxdl/LGPL.txt')));
  assert.match(read('core/nxdl/COPYING'), /LGPL/);
  assert.ok(lib.applications().includes('NXmx') && lib.applications().includes('NXxas'));
});

test('a file from another writer (h5py): fixed-length strings, external and dangling links', { skip: serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py') }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'other.nxs');
    const r = spawnSync(SYSTEM_PYTHON, ['-c', `
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('scan'); e.attrs['NX_class'] = np.bytes_('NXentry')
    e['definition'] = np.bytes_('NXxas ')
    e['title'] = np.bytes_('x')
    e['start_time'] = np.bytes_('2026-12-03T10:00:00Z')
    i = e.create_group('instrument'); i.attrs['NX_class'] = 'NXinstrument'
    s = i.create_group('source'); s.attrs['NX_class'] = 'NXsource'
    for k, v in (('type', 'Synchrotron X-ray Source'), ('name', 'P'), ('probe', 'neutron')): s[k] = np.bytes_(v)
    m = i.create_group('monochromator'); m.attrs['NX_class'] = 'NXmonochromator'
    m['energy'] = np.linspace(8.9, 9.1, 5); m['energy'].attrs['axis'] = 1; m['energy'].attrs['units'] = np.bytes_('keV')
    for n in ('incoming_beam', 'absorbed_beam'):
        d = i.create_group(n); d.attrs['NX_class'] = 'NXdetector'
        d['data'] = h5py.ExternalLink('elsewhere.h5', '/data')
    e['sample'] = h5py.SoftLink('/nowhere')
    mon = e.create_group('monitor'); mon.attrs['NX_class'] = 'NXmonitor'
    mon['mode'] = np.bytes_('timer'); mon['preset'] = 1.0; mon['data'] = np.ones(5)
    mon['preset'].attrs['units'] = 's'; mon['data'].attrs['units'] = 'counts'
    d = e.create_group('data'); d.attrs['NX_class'] = 'NXdata'
    d['mode'] = np.bytes_('Transmission')
    d['energy'] = h5py.SoftLink('/scan/instrument/monochromator/energy')
    d['absorbed_beam'] = h5py.SoftLink('/scan/instrument/absorbed_beam/data')
`, file], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const report = await validateFile(file);
    // the padded fixed-length definition names NXxas; the dangling sample link is no NXsample group
    assert.deepEqual(report.entries, [{ path: '/scan', application: 'NXxas', from: 'definition' }]);
    assert.deepEqual(errorsOf(report), ['ENUMERATION NXxas/ENTRY/INSTRUMENT/SOURCE/probe', 'MISSING_GROUP NXxas/ENTRY/SAMPLE']);
  } finally {
    t.cleanup();
  }
});

test('NXtomo files from h5py: nFrames the same in data, image_key, rotation_angle and the monitor', { skip: serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py') }, async () => {
  const t = tempDir();
  try {
    const write = (file: string, angles: number, translationRank2: boolean) => {
      const r = spawnSync(SYSTEM_PYTHON, ['-c', `
import h5py, numpy as np, sys
angles, rank2 = int(sys.argv[2]), sys.argv[3] == '1'
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('entry'); e.attrs['NX_class'] = 'NXentry'
    e['definition'] = 'NXtomo'
    i = e.create_group('instrument'); i.attrs['NX_class'] = 'NXinstrument'
    d = i.create_group('detector'); d.attrs['NX_class'] = 'NXdetector'
    d['data'] = np.zeros((6, 8, 10), dtype='i4'); d['data'].attrs['units'] = 'counts'; d['data'].attrs['signal'] = 1
    d['image_key'] = np.array([2, 1, 0, 0, 0, 0], dtype='i4')
    s = e.create_group('sample'); s.attrs['NX_class'] = 'NXsample'
    s['name'] = 'wood'
    s['rotation_angle'] = np.linspace(0, 180, angles); s['rotation_angle'].attrs['units'] = 'deg'; s['rotation_angle'].attrs['axis'] = 1
    s['x_translation'] = np.zeros((6, 2) if rank2 else 6); s['x_translation'].attrs['units'] = 'mm'
    c = e.create_group('control'); c.attrs['NX_class'] = 'NXmonitor'
    c['data'] = np.full(6, 100.0); c['data'].attrs['units'] = 'mA'
    g = e.create_group('data'); g.attrs['NX_class'] = 'NXdata'
    for name, target in (('data', '/entry/instrument/detector/data'), ('image_key', '/entry/instrument/detector/image_key'), ('rotation_angle', '/entry/sample/rotation_angle')):
        f[target].attrs['target'] = target
        g[name] = h5py.SoftLink(target)
`, file, String(angles), translationRank2 ? '1' : '0'], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
    };
    const good = join(t.dir, 'good.nxs');
    write(good, 6, false);
    const ok = await validateFile(good);
    assert.deepEqual([errorsOf(ok), ok.findings.filter((f) => f.code.startsWith('SYMBOL'))], [[], []]);

    const bad = join(t.dir, 'bad.nxs');
    write(bad, 5, false);
    const r = await validateFile(bad);
    assert.deepEqual(errorsOf(r), ['SYMBOL NXtomo/ENTRY/sample/rotation_angle']);
    const f = r.findings.find((x) => x.code === 'SYMBOL')!;
    assert.equal(f.where.path, '/entry/sample/rotation_angle');
    assert.equal(f.message, 'field rotation_angle: axis 1 has length 5 where data axis 1 has length 6 (NXtomo/ENTRY/instrument/detector/data; /entry/instrument/detector/data); NXtomo gives both axes the symbol nFrames');

    // a rank that does not fit is reported as such, not as a symbol too
    const rank = join(t.dir, 'rank.nxs');
    write(rank, 6, true);
    assert.deepEqual(errorsOf(await validateFile(rank)), ['RANK NXtomo/ENTRY/sample/x_translation']);
  } finally {
    t.cleanup();
  }
});

test('NXmx files from h5py with two detectors: a soft link without @target binds to the detector it points at', { skip: serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py') }, async () => {
  const t = tempDir();
  try {
    // detector: 3 frames of 4 x 4 pixels with a 4 x 4 mask; detector2: `frames2` frames of 2 x 2 (and a mask of `mask2`);
    // the beam: 3 polarizations (nP, as the frames);
    // the NXdata's data a soft link (h5py adds no @target) to detector2's images, by `link`
    const write = (name: string, link: string, frames2 = 3, mask2?: number) => {
      const file = join(t.dir, name);
      const r = spawnSync(SYSTEM_PYTHON, ['-c', `
import h5py, numpy as np, sys
link, frames2, mask2 = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('entry'); e.attrs['NX_class'] = 'NXentry'
    e['definition'] = 'NXmx'
    i = e.create_group('instrument'); i.attrs['NX_class'] = 'NXinstrument'
    d = i.create_group('detector'); d.attrs['NX_class'] = 'NXdetector'
    d['data'] = np.zeros((3, 4, 4), dtype='i4'); d['pixel_mask'] = np.zeros((4, 4), dtype='i4')
    d2 = i.create_group('detector2'); d2.attrs['NX_class'] = 'NXdetector'
    d2['data'] = np.zeros((frames2, 2, 2), dtype='i4')
    if mask2: d2['pixel_mask'] = np.zeros((mask2, mask2), dtype='i4')
    b = i.create_group('beam'); b.attrs['NX_class'] = 'NXbeam'
    b['incident_polarization_stokes'] = np.zeros((3, 4))
    g = e.create_group('data'); g.attrs['NX_class'] = 'NXdata'
    g['data'] = h5py.SoftLink(link)
`, file, link, String(frames2), String(mask2 ?? 0)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return file;
    };
    const symbols = (r: NxdlReport) => r.findings.filter((f) => f.code.startsWith('SYMBOL')).map((f) => `${f.code} ${f.where.path}: ${f.message}`);

    // absolute and relative links: the link is detector2's images, whose pixels differ from detector's by right
    for (const link of ['/entry/instrument/detector2/data', '../instrument/detector2/data']) {
      assert.deepEqual(symbols(await validateFile(write('good.nxs', link))), [], link);
    }

    // detector2 with 4 x 4 mask for its 2 x 2 pixels: reported once, at the mask, against detector2's images
    const mask = await validateFile(write('mask.nxs', '/entry/instrument/detector2/data', 3, 4));
    assert.deepEqual(symbols(mask), [
      'SYMBOL /entry/instrument/detector2/pixel_mask: field pixel_mask: axis 1 has length 4 where data axis 2 has length 2 (NXmx/ENTRY/INSTRUMENT/DETECTOR/data; /entry/instrument/detector2/data); NXmx gives both axes the symbol i',
      'SYMBOL /entry/instrument/detector2/pixel_mask: field pixel_mask: axis 2 has length 4 where data axis 3 has length 2 (NXmx/ENTRY/INSTRUMENT/DETECTOR/data; /entry/instrument/detector2/data); NXmx gives both axes the symbol j',
    ]);

    // 5 frames in detector2, 3 polarizations in the beam (nP): reported at the beam against detector2's images,
    // not again at the link, which is the same dataset
    const frames = await validateFile(write('frames.nxs', '/entry/instrument/detector2/data', 5));
    assert.deepEqual(symbols(frames), [
      'SYMBOL /entry/instrument/beam/incident_polarization_stokes: field incident_polarization_stokes: axis 1 has length 3 where data axis 1 has length 5 (NXmx/ENTRY/INSTRUMENT/DETECTOR/data; /entry/instrument/detector2/data); NXmx gives both axes the symbol nP',
    ]);
  } finally {
    t.cleanup();
  }
});

test("maxOccurs of a site's base classes in files from h5py", { skip: serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py') }, async () => {
  const t = tempDir();
  try {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(join(t.dir, 'nxdl', 'base_classes'), { recursive: true });
    writeFileSync(join(t.dir, 'nxdl', 'base_classes', 'NXentry.nxdl.xml'), `<definition name="NXentry" category="base" type="group">
      <group type="NXsample" maxOccurs="1"/><field name="NOTE_note" nameType="partial" maxOccurs="2"/></definition>`);
    writeFileSync(join(t.dir, 'nxdl', 'base_classes', 'NXsample.nxdl.xml'), '<definition name="NXsample" category="base" type="group"/>');
    const site = nxdlLibrary(join(t.dir, 'nxdl'));
    const write = (name: string, samples: number, notes: number) => {
      const file = join(t.dir, name);
      const r = spawnSync(SYSTEM_PYTHON, ['-c', `
import h5py, sys
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('entry'); e.attrs['NX_class'] = 'NXentry'
    for k in range(int(sys.argv[2])): e.create_group(f's{k}').attrs['NX_class'] = 'NXsample'
    for k in range(int(sys.argv[3])): e[f'n{k}_note'] = 'x'
`, file, String(samples), String(notes)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return file;
    };
    const tooMany = async (file: string) => (await validateFile(file, undefined, site)).findings.filter((f) => f.code === 'TOO_MANY').map((f) => `${f.severity} ${f.definition} ${f.where.path}`);
    assert.deepEqual(await tooMany(write('fits.nxs', 1, 2)), []);
    assert.deepEqual(await tooMany(write('over.nxs', 2, 3)), ['warning NXentry/NOTE_note /entry/n2_note', 'warning NXentry/SAMPLE /entry/s1']);
  } finally {
    t.cleanup();
  }
});

test('dims given as expressions in files from h5py (a site definition: integral is nDark + nBright + nSample long)', { skip: serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py') }, async () => {
  const t = tempDir();
  try {
    // the site folder core's NXDL tests use
    const site = nxdlLibrary(join(REPO, 'core/test/fixtures/nxdl-site'));
    const write = (name: string, integral: number) => {
      const file = join(t.dir, name);
      const r = spawnSync(SYSTEM_PYTHON, ['-c', `
import h5py, numpy as np, sys
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('entry'); e.attrs['NX_class'] = 'NXentry'
    e['definition'] = 'NXsums'
    for n, k in (('dark', 2), ('bright', 3), ('sample', 4)):
        d = e.create_group(n); d.attrs['NX_class'] = 'NXdetector'; d['data'] = np.zeros(k, dtype='i4')
    c = e.create_group('control'); c.attrs['NX_class'] = 'NXmonitor'
    c['integral'] = np.zeros(int(sys.argv[2])); c['edges'] = np.zeros(5)
`, file, String(integral)], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      return file;
    };
    const symbols = async (file: string) => (await validateFile(file, undefined, site)).findings.filter((f) => f.code.startsWith('SYMBOL')).map((f) => `${f.code} ${f.where.path}: ${f.message}`);
    assert.deepEqual(await symbols(write('fits.nxs', 9)), []);
    assert.deepEqual(await symbols(write('short.nxs', 8)), [
      'SYMBOL /entry/control/integral: field integral: axis 1 has length 8 where NXsums gives it nDark + nBright + nSample = 9 (nDark: data axis 1 has length 2 (NXsums/ENTRY/dark/data; /entry/dark/data); nBright: data axis 1 has length 3 (NXsums/ENTRY/bright/data; /entry/bright/data); nSample: data axis 1 has length 4 (NXsums/ENTRY/sample/data; /entry/sample/data))',
    ]);
  } finally {
    t.cleanup();
  }
});
