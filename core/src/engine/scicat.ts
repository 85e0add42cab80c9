/**
 * SciCat dataset metadata of one NXentry: what the reference writer makes at CloseEntry when its
 * MetadataOutput property contains `file` (through nxstools' `nxsfileinfo metadata`, with the
 * writer's options). The entry is read back through the sink, so any sink that can read its
 * values serves. The layout follows nxstools:
 *
 * - `scientificMetadata` is the entry: `name`, its attributes (not NX_class), and per child a
 *   dictionary of the child's attributes and children; a field's value is included when it holds
 *   one element (shape [] or [1]), otherwise its `shape`.
 * - Attributes: `units` becomes `unit`, `nexdatas_strategy` becomes `strategy`, and
 *   `nexdatas_source` becomes `source_name`, `source_type` and `source` (the record, device
 *   attribute, query or result expression); these three are not listed under their own names.
 * - Dataset-level fields: `endTime` from `end_time`, `description` from `title`,
 *   `scientificMetadata.ScanCommand` from `program_name@scan_command`, `creationTime` from
 *   `endTime` (else now), `techniques` from `definition` or `experiment_description`, `sampleId`
 *   from the sample's `description`, `pid` when a beamtime id is known; `type` raw,
 *   `creationLocation` /DESY/PETRA III and `ownerGroup` ingestor unless set.
 * - The text is Python's json.dumps(sort_keys=True, indent=4): ASCII only, floats as Python
 *   prints them, NaN and infinities as null.
 */
import { parse as parseYaml } from 'yaml';
import { NxswError, errorMessage } from '../api/errors.js';
import type { SinkField, SinkGroup } from '../api/extensions.js';
import type { NxValue } from '../api/values.js';
import type { XmlElement } from '../api/xml.js';
import { parseXml } from './xmlparse.js';
import { nexusTime } from './filename.js';

/** A JSON value as Python holds it: bigint for int, number for float. */
export type PyValue = string | number | bigint | boolean | null | PyValue[] | PyDict;
export interface PyDict { [key: string]: PyValue }

const isDict = (v: PyValue | undefined): v is PyDict => typeof v === 'object' && v !== null && !Array.isArray(v);

/** attribute → the metadata key it becomes, and how its value is turned into it */
const DERIVED: ReadonlyArray<readonly [key: string, attribute: string, convert: (v: PyValue) => PyValue]> = [
  ['source_name', 'nexdatas_source', (v) => datasourceOf(v)?.attributes.name ?? ''],
  ['source_type', 'nexdatas_source', (v) => datasourceOf(v)?.attributes.type ?? ''],
  ['source', 'nexdatas_source', (v) => sourceRecord(datasourceOf(v))],
  ['strategy', 'nexdatas_strategy', (v) => pyStr(v)],
  ['unit', 'units', (v) => pyStr(v)],
];
const DERIVED_KEYS = new Set(DERIVED.map(([k]) => k));
/** the writer's hidden attributes (shown, where listed above, under their derived keys) */
const HIDDEN = new Set(['nexdatas_source', 'nexdatas_strategy', 'units']);

/** NeXus application definitions with a PaNET technique (the only ones nxstools maps) */
const NEXUS_PANET: Readonly<Record<string, readonly [pid: string, name: string]>> = {
  saxs: ['http://purl.org/pan-science/PaNET/PaNET01188', 'small angle x-ray scattering'],
  waxs: ['http://purl.org/pan-science/PaNET/PaNET01191', 'wide angle x-ray scattering'],
};

/** where a value comes from for another key: [target, source] paths, applied in order */
const COPY_MAP: ReadonlyArray<readonly [string, string]> = [
  ['endTime', 'scientificMetadata.end_time.value'],
  ['description', 'scientificMetadata.title.value'],
  ['scientificMetadata.ScanCommand', 'scientificMetadata.program_name.scan_command'],
  ['creationTime', 'endTime'],
];

export interface ScicatOptions {
  /** the output file's name as the client gave it (for the pid) */
  readonly fileName: string;
  /** the time written as creationTime when the entry has no end time */
  readonly now?: Date;
}

/**
 * The metadata of the NXentry `entryName` directly below `parent`, as JSON text; undefined when
 * there is no such NXentry.
 */
export function scicatMetadata(parent: SinkGroup, entryName: string, options: ScicatOptions): string | undefined {
  if (!parent.keys().includes(entryName)) return undefined;
  const entry = parent.openGroup(entryName);
  if (!entry || firstOf(entry.getAttribute('NX_class')) !== 'NXentry') return undefined;
  const tree: PyDict = {};
  addNode(entry, entryName, tree, true);
  for (const [name, child] of children(entry)) describe(child, name, tree.scientificMetadata as PyDict);
  let md = applyCopyMap(tree);
  md = withPid(md, options.fileName);
  md = withTechniques(md);
  md = withSampleId(md);
  md = cured(md, options.now ?? new Date());
  return pythonJson(md);
}

// ---- the tree ---------------------------------------------------------------------------------

/**
 * The children by the name a reader sees, with what they lead to (links followed): an object in
 * another file goes by its own name there (as h5py names it); undefined for a dangling link or a
 * link into a file that is not there (yet), which nxstools lists as an empty dictionary.
 */
function children(g: SinkGroup): Array<[string, SinkGroup | SinkField | undefined]> {
  return g.keys().map((name) => {
    let node: SinkGroup | SinkField | undefined;
    try {
      node = g.openGroup(name) ?? g.openField(name);
    } catch {
      return [name, undefined];
    }
    const external = node ? g.link?.(name) : undefined;
    return [external?.file !== undefined ? external.path.split('/').filter(Boolean).at(-1) ?? name : name, node];
  });
}

function describe(node: SinkGroup | SinkField | undefined, name: string, into: PyDict): void {
  if (!node) {
    place(into, name);
    return;
  }
  const nd = addNode(node, name, into, false);
  if (!isGroup(node)) return;
  for (const [childName, child] of children(node)) describe(child, childName, nd);
}

const isGroup = (n: SinkGroup | SinkField): n is SinkGroup => typeof (n as SinkGroup).keys === 'function';

/**
 * The dictionary of one node in its parent's, keyed by its name; a non-dictionary value already
 * under that name (an attribute of the parent) moves to the name with `_` appended.
 */
function place(into: PyDict, key: string): PyDict {
  const there = into[key];
  if (isDict(there)) return there;
  if (there !== undefined) {
    let moved = `${key}_`;
    while (moved in into) moved += '_';
    into[moved] = there;
  }
  const nd: PyDict = {};
  into[key] = nd;
  return nd;
}

function addNode(node: SinkGroup | SinkField, name: string, into: PyDict, entry: boolean): PyDict {
  let nd: PyDict;
  if (entry) {
    let key = 'scientificMetadata';
    for (let n = 2; key in into; n++) key = `scientificMetadata_${n}`;
    nd = into[key] = { name };
  } else nd = place(into, name);
  const attrs = new Map(node.attributeNames().map((a) => [a, firstOf(node.getAttribute(a))]));
  for (const [key, a, convert] of DERIVED) if (attrs.has(a)) nd[key] = convert(attrs.get(a)!);
  for (const [a, v] of attrs) if (!DERIVED_KEYS.has(a) && !HIDDEN.has(a)) nd[a] = v;
  if (nd.NX_class === 'NXentry') delete nd.NX_class;
  if (!isGroup(node)) {
    const shape = [...node.shape];
    const single = shape.length === 0 || (shape.length === 1 && shape[0] === 1);
    if (single) {
      if (!node.read) throw new NxswError('FILE_ERROR', `the sink cannot read ${node.path} back, which the SciCat metadata needs`);
      try {
        nd.value = element(node.read(), 0);
      } catch {
        // an unreadable value is left out, as nxstools does
      }
    } else {
      if ('shape' in nd) {
        let moved = 'shape_';
        while (moved in nd) moved += '_';
        nd[moved] = nd.shape!;
      }
      nd.shape = shape.map((d) => BigInt(d));
    }
  }
  return nd;
}

// ---- values -----------------------------------------------------------------------------------

function element(v: NxValue, i: number): PyValue {
  const x = (v.data as ArrayLike<unknown>)[i];
  switch (v.type) {
    case 'string': return x as string;
    case 'bool': return x !== 0;
    case 'float32': case 'float64': return x as number;
    default: return BigInt(x as number | bigint);
  }
}

function nested(v: NxValue, shape: readonly number[], offset: number): PyValue {
  if (shape.length === 0) return element(v, offset);
  const inner = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0]! }, (_, i) => nested(v, shape.slice(1), offset + i * inner));
}

/** an attribute as nxstools reads it: a one-element array is its element */
function firstOf(v: NxValue | undefined): PyValue {
  if (!v) return null;
  const shape = v.shape.length > 0 && v.shape[0] === 1 ? v.shape.slice(1) : v.shape;
  return nested(v, shape, 0);
}

/** Python's str() of a value (attributes are strings in practice) */
function pyStr(v: PyValue): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return pythonFloat(v);
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return pythonJson(v, false);
}

// ---- nexdatas_source --------------------------------------------------------------------------

/** the <datasource> of a nexdatas_source text (the last one parsed is kept: three keys read it) */
let lastSource: { text: string; el: XmlElement | undefined } | undefined;
function datasourceOf(v: PyValue): XmlElement | undefined {
  if (typeof v !== 'string') return undefined;
  if (lastSource?.text !== v) {
    let el: XmlElement | undefined;
    try {
      const root = parseXml(v);
      el = root.name === 'datasource' ? root : descendants(root, 'datasource')[0];
    } catch {
      el = undefined;
    }
    lastSource = { text: v, el };
  }
  return lastSource.el;
}

function descendants(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...descendants(c, name)]);
}

/** the record, device attribute (@property, command()), query or result expression of a datasource */
function sourceRecord(ds: XmlElement | undefined): PyValue {
  if (!ds) return '';
  const type = ds.attributes.type ?? '';
  if (type === 'CLIENT' || type === 'TANGO') {
    const device = ds.children.find((c) => c.name === 'device');
    const record = ds.children.find((c) => c.name === 'record')?.attributes.name;
    if (!record) return '';
    const member = device?.attributes.member;
    const prefix = member === 'property' ? '@' : '';
    const suffix = member === 'command' ? '()' : '';
    const dname = device?.attributes.name;
    if (!dname) return record;
    const host = device.attributes.hostname;
    if (host) return `${host}:${device.attributes.port || '10000'}/${dname}/${prefix}${record}${suffix}`;
    return `${dname}/${prefix}${record}${suffix}`;
  }
  if (type === 'DB') return descendants(ds, 'query')[0]?.text.trim() ?? '';
  if (type === 'PYEVAL') {
    const first = ds.children.find((c) => c.name === 'result');
    const text = descendants(ds, 'result')[0]?.text.trim();
    if (!first || !text) return '';
    const lead = `ds.${first.attributes.name ?? 'result'} = `;
    let found = '';
    for (const line of text.split('\n')) if (line.trim().startsWith(lead)) found = line.trim().slice(lead.length);
    return found;
  }
  return '';
}

// ---- dataset-level fields ---------------------------------------------------------------------

function lookup(md: PyDict, path: string): PyValue | undefined {
  let cur: PyValue = md;
  for (const key of path.split('.')) {
    if (!isDict(cur) || !(key in cur)) return undefined;
    cur = cur[key]!;
  }
  return cur;
}

function applyCopyMap(md: PyDict): PyDict {
  for (const [target, source] of COPY_MAP) {
    const v = lookup(md, source);
    if (v === undefined) continue;
    const keys = target.split('.');
    let at = md;
    for (const k of keys.slice(0, -1)) {
      if (!isDict(at[k])) at[k] = {};
      at = at[k] as PyDict;
    }
    at[keys.at(-1)!] = v;
  }
  return md;
}

/** `<beamtimeId>/<scan id>` when the entry gives a beamtime id; the dataset name follows from it */
function withPid(md: PyDict, fileName: string): PyDict {
  if (!('pid' in md)) {
    const beamtime = lookup(md, 'scientificMetadata.beamtimeId');
    const base = fileName.split('/').at(-1)!.replace(/\.[^.]*$/, '');
    // the scan number: trailing digits of the file name's last `_` part, else of the entry name's
    const scanNumber = (s: string) => { const d = /\d+$/.exec(s)?.[0]; return d === undefined ? undefined : BigInt(d).toString(); };
    const fileScan = scanNumber(base.split('_').at(-1)!);
    const entryName = lookup(md, 'scientificMetadata.name');
    const entryPart = typeof entryName === 'string' && entryName ? entryName.split('_').at(-1)! : '';
    const entryScan = scanNumber(entryPart);
    let scan = base;
    if (!base) scan = entryScan ?? entryPart;
    else if (fileScan === undefined && entryScan !== undefined) scan = `${base}_${entryScan}`;
    if ((typeof beamtime === 'string' && beamtime) || typeof beamtime === 'bigint') {
      if (scan) md.pid = `${String(beamtime)}/${scan}`;
    }
  }
  if (!('datasetName' in md) && typeof md.pid === 'string') {
    const parts = md.pid.split('/');
    md.datasetName = parts.length > 1 ? parts[1]! : md.pid;
  }
  return md;
}

function techniquesOf(names: PyValue[] | string, pids?: PyValue): PyDict[] {
  const list = typeof names === 'string' ? [...names] : names;
  const out: PyDict[] = [];
  list.forEach((te, i) => {
    if (typeof te !== 'string') throw new Error('a technique is not a string');
    const given = Array.isArray(pids) && pids.length > i && pids[i] !== null ? pids[i]! : undefined;
    let pid: PyValue | undefined = given;
    let name: PyValue = te;
    if (given === undefined) {
      const known = NEXUS_PANET[te] ?? Object.values(NEXUS_PANET).find(([p]) => p === te || p.endsWith(`/${te}`));
      if (known && (te in NEXUS_PANET || te.startsWith('http:/') || te.startsWith('PaNET'))) [pid, name] = known;
    }
    if (pid !== undefined && pid !== '' && pid !== null) out.push({ pid, name });
    else if (name) out.push({ pid: name, name });
  });
  return out;
}

function withTechniques(md: PyDict): PyDict {
  if (!('techniques' in md)) {
    const definition = lookup(md, 'scientificMetadata.definition');
    if (isDict(definition) && typeof definition.value === 'string') {
      try {
        md.techniques = techniquesOf(definition.value.split(',').map((d) => (d.startsWith('NX') ? d.slice(2) : d)));
      } catch {
        // not a list of names
      }
    }
    const description = lookup(md, 'scientificMetadata.experiment_description');
    if (isDict(description) && 'value' in description) {
      const text = description.value!;
      try {
        const parsed = typeof text === 'string' ? yaml(text) : undefined;
        if (!isDict(parsed)) throw new Error('not a mapping');
        const tes = 'techniques' in parsed ? parsed.techniques! : 'technique' in parsed ? [parsed.technique!] : undefined;
        const pids = 'techniques_pids' in parsed ? parsed.techniques_pids! : 'technique_pid' in parsed ? [parsed.technique_pid!] : undefined;
        const names = tes ?? pids;
        if (names === undefined) throw new Error('no techniques');
        md.techniques = techniquesOf(names as PyValue[] | string, tes !== undefined ? pids : undefined);
      } catch {
        try {
          md.techniques = techniquesOf([text]);
        } catch {
          // a description that names no technique
        }
      }
    }
  }
  if (!('techniques' in md)) md.techniques = [];
  return md;
}

function withSampleId(md: PyDict): PyDict {
  const description = lookup(md, 'scientificMetadata.sample.description');
  if (!isDict(description) || !('value' in description)) return md;
  const text = description.value!;
  let id: PyValue = text;
  try {
    const parsed = typeof text === 'string' ? yaml(text) : undefined;
    if (isDict(parsed)) id = 'sample_id' in parsed ? parsed.sample_id! : 'sampleId' in parsed ? parsed.sampleId! : text;
  } catch {
    // not YAML: the text itself
  }
  if (truthy(id)) md.sampleId = id;
  return md;
}

function cured(md: PyDict, now: Date): PyDict {
  md.creationTime = 'creationTime' in md ? isoDate(md.creationTime!) : nexusTime(now);
  if ('endTime' in md) md.endTime = isoDate(md.endTime!);
  if (!('type' in md)) md.type = 'raw';
  if (!('creationLocation' in md)) md.creationLocation = '/DESY/PETRA III';
  if (!('ownerGroup' in md)) md.ownerGroup = 'ingestor';
  return md;
}

const truthy = (v: PyValue): boolean =>
  !(v === null || v === false || v === '' || v === 0 || v === 0n || (Array.isArray(v) && v.length === 0) || (isDict(v) && Object.keys(v).length === 0));

/** YAML as PyYAML's safe_load reads it (YAML 1.1); integers as Python ints */
function yaml(text: string): PyValue {
  return toPy(parseYaml(text, { version: '1.1', intAsBigInt: true }) as unknown);
}

function toPy(v: unknown): PyValue {
  if (v === undefined || v === null) return null;
  if (Array.isArray(v)) return v.map(toPy);
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toPy(x)]));
  return v as PyValue;
}

// ---- dates ------------------------------------------------------------------------------------

const ISO8601 = /^(-?(?:[1-9][0-9]*)?[0-9]{4})-(1[0-2]|0[1-9])-(3[01]|0[1-9]|[12][0-9])T(2[0-3]|[01][0-9]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?(Z|[+-](?:2[0-3]|[01][0-9]):[0-5][0-9])?$/;
const LOOSE = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?\s*(Z|[+-]\d\d:?\d\d)?$/;

/**
 * A date as nxstools normalises it: an ISO 8601 text stays as it is; a date in the common
 * `YYYY-MM-DD HH:MM:SS.ffffff+zzzz` forms becomes `%Y-%m-%dT%H:%M:%S.%f%z` (naive times in this
 * process's time zone); anything else stays as it is.
 */
function isoDate(v: PyValue): PyValue {
  if (typeof v !== 'string' || ISO8601.test(v)) return v;
  const m = LOOSE.exec(v.trim());
  if (!m) return v;
  const [, y, mo, d, h, mi, s = '00', frac = '', zone] = m;
  const micro = (frac + '000000').slice(0, 6);
  let offset: string;
  if (zone === 'Z') offset = '+0000';
  else if (zone) offset = zone.replace(':', '');
  else {
    const local = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
    offset = nexusTime(local).slice(-5);
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}.${micro}${offset}`;
}

// ---- Python's json.dumps(sort_keys=True, indent=4) ----------------------------------------------

/** a float as Python's repr prints it */
export function pythonFloat(x: number): string {
  if (Object.is(x, -0)) return '-0.0';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return `${x.toFixed(0)}.0`;
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  if (e < -4 || e >= 16) return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
  return String(x);
}

const asciiOnly = (s: string) => JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

function pythonJson(v: PyValue, pretty = true, depth = 0): string {
  const pad = (n: number) => (pretty ? `\n${' '.repeat(4 * n)}` : '');
  const sep = pretty ? ',' : ', ';
  if (v === null) return 'null';
  if (typeof v === 'string') return asciiOnly(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? pythonFloat(v) : 'null';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[${v.map((x) => pad(depth + 1) + pythonJson(x, pretty, depth + 1)).join(sep)}${pad(depth)}]`;
  }
  const keys = Object.keys(v).sort();
  if (keys.length === 0) return '{}';
  return `{${keys.map((k) => `${pad(depth + 1)}${asciiOnly(k)}: ${pythonJson(v[k]!, pretty, depth + 1)}`).join(sep)}${pad(depth)}}`;
}

/** the error text when a metadata file cannot be made */
export function metadataFailure(file: string, e: unknown): NxswError {
  return new NxswError('FILE_ERROR', `MetadataOutput: cannot write the SciCat metadata ${file}: ${errorMessage(e)}`, { cause: e });
}

