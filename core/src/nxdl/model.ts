/**
 * The NXDL model: NeXus base classes and application definitions read from a folder of
 * definitions (base_classes/, applications/, contributed_definitions/), parsed with sax, with
 * `extends` merged in (the extending definition shadows what it redefines, as cnxvalidate does).
 * Occurrence rules: in an application definition a group, field or attribute is required unless
 * it says minOccurs="0", optional="true" or recommended="true"; in a base class everything is
 * optional.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sax from 'sax';
import { NxswError, errorMessage } from '../api/errors.js';

/** how a name in a definition matches names in a file (nxdl.xsd nameTypeAttributeGroup) */
export type NameType = 'specified' | 'any' | 'partial';

export type Category = 'base' | 'application' | 'contributed';

interface ItemBase {
  readonly name: string;
  readonly nameType: NameType;
  /** the definition's path, e.g. NXmx/ENTRY/INSTRUMENT/DETECTOR/depends_on */
  readonly path: string;
  readonly required: boolean;
  readonly recommended: boolean;
  readonly maxOccurs: number;
  /** the deprecation note, when the definition deprecates this item */
  readonly deprecated: string | undefined;
}

export interface NxdlAttribute extends ItemBase {
  readonly kind: 'attribute';
  readonly type: string | undefined;
  readonly enumeration: readonly string[] | undefined;
}

export interface NxdlDim {
  readonly index: number;
  /** a length or a symbol (nP, i, ...) */
  readonly value: number | string | undefined;
  readonly required: boolean;
}

export interface NxdlField extends ItemBase {
  readonly kind: 'field';
  readonly type: string | undefined;
  /** a units category (NX_LENGTH, ...) */
  readonly units: string | undefined;
  readonly enumeration: readonly string[] | undefined;
  /** a number, or a symbol such as dataRank (then the dims bound it) */
  readonly rank: number | string | undefined;
  readonly dims: readonly NxdlDim[];
  readonly attributes: readonly NxdlAttribute[];
  /** attributes the field element itself names (axis="1", signal="1", long_name, ...): the legacy way */
  readonly impliedAttributes: ReadonlyArray<{ readonly name: string; readonly value: string }>;
}

/**
 * Dimension symbols the shipped definitions get wrong in a way that refuses valid files, read as
 * intended: NXmx's DETECTOR_GROUP/group_index is as long as group_names and group_parent (whose dims say
 * groupIndex), but its dims say i, the symbol of the detector's slowest pixel axis.
 */
const DIM_ERRATA: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'NXmx/ENTRY/INSTRUMENT/DETECTOR_GROUP/group_index': { i: 'groupIndex' },
};

/** field-element XML attributes that stand for HDF5 attributes of the dataset (nxdl.xsd fieldType) */
const IMPLIED_ATTRIBUTES = ['signal', 'axis', 'primary', 'axes', 'long_name', 'interpretation'];

export interface NxdlLink extends ItemBase {
  readonly kind: 'link';
  readonly target: string;
}

/**
 * A named group that may be of one of several classes (NXdetector's pixel_shape: NXoff_geometry
 * or NXcylindrical_geometry); each alternative carries the choice's name.
 */
export interface NxdlChoice extends ItemBase {
  readonly kind: 'choice';
  readonly groups: readonly NxdlGroup[];
}

export interface NxdlGroup extends ItemBase {
  readonly kind: 'group';
  /** the NeXus class (NXentry, ...) */
  readonly type: string;
  readonly groups: readonly NxdlGroup[];
  readonly choices: readonly NxdlChoice[];
  readonly fields: readonly NxdlField[];
  readonly attributes: readonly NxdlAttribute[];
  readonly links: readonly NxdlLink[];
}

export interface NxdlDefinition {
  readonly name: string;
  readonly category: Category;
  /** category="application": its items are required unless they say otherwise */
  readonly application: boolean;
  readonly extends: string | undefined;
  /** the dimension symbols its <symbols> declares (nP, i, dataRank), with those of the definitions it extends */
  readonly symbols: readonly string[];
  /** the definition itself as a group of type `name` (its attributes, fields, groups) */
  readonly root: NxdlGroup;
  readonly file: string;
}

/** The folder of definitions that ships with nxsw (LGPL data, see its COPYING). */
export function defaultNxdlDir(): string {
  // core/dist/src/nxdl/model.js → core/nxdl
  return fileURLToPath(new URL('../../../nxdl', import.meta.url));
}

const SUBDIRS: Array<[string, Category]> = [['base_classes', 'base'], ['applications', 'application'], ['contributed_definitions', 'contributed']];

/**
 * The definitions of one folder, parsed on first use and cached. Lookups by name (NXmx,
 * NXdetector) with `extends` merged.
 */
export class NxdlLibrary {
  private readonly files = new Map<string, { file: string; category: Category }>();
  private readonly parsed = new Map<string, NxdlDefinition>();
  private readonly merged = new Map<string, NxdlDefinition>();
  readonly version: string;

  constructor(readonly dir: string) {
    if (!existsSync(dir)) throw new NxswError('FILE_ERROR', `the NXDL folder ${dir} does not exist`);
    for (const [sub, category] of SUBDIRS) {
      const d = join(dir, sub);
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d)) {
        const m = /^(NX\w+)\.nxdl\.xml$/.exec(f);
        // applications shadow contributed definitions of the same name; base classes stay first
        if (m && !this.files.has(m[1]!)) this.files.set(m[1]!, { file: join(d, f), category });
      }
    }
    if (this.files.size === 0) throw new NxswError('FILE_ERROR', `the NXDL folder ${dir} has no *.nxdl.xml under ${SUBDIRS.map(([s]) => s).join(', ')}`);
    const versionFile = join(dir, 'NXDL_VERSION');
    this.version = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : 'unknown';
  }

  has(name: string): boolean {
    return this.files.has(name);
  }

  /** application and contributed definitions, by name */
  applications(): string[] {
    const isApplication = (k: string): boolean => {
      try {
        return this.get(k)?.application === true;
      } catch {
        return false; // a broken file is reported when it is asked for by name
      }
    };
    return [...this.files.keys()].filter(isApplication).sort();
  }

  /** the definition with its `extends` chain merged in; undefined when the folder has none */
  get(name: string): NxdlDefinition | undefined {
    const hit = this.merged.get(name);
    if (hit) return hit;
    const own = this.raw(name);
    if (!own) return undefined;
    let def = own;
    const seen = new Set([name]);
    let parentName = own.extends;
    while (parentName && parentName !== 'NXobject' && !seen.has(parentName)) {
      seen.add(parentName);
      const parent = this.raw(parentName);
      if (!parent) break;
      def = { ...def, root: mergeGroup(def.root, parent.root), symbols: [...new Set([...def.symbols, ...parent.symbols])] };
      parentName = parent.extends;
    }
    // NXobject's attributes and fields are allowed everywhere
    const object = name === 'NXobject' || def.application ? undefined : this.raw('NXobject');
    if (object) def = { ...def, root: mergeGroup(def.root, object.root) };
    this.merged.set(name, def);
    return def;
  }

  private raw(name: string): NxdlDefinition | undefined {
    const hit = this.parsed.get(name);
    if (hit) return hit;
    const f = this.files.get(name);
    if (!f) return undefined;
    let text: string;
    try {
      text = readFileSync(f.file, 'utf8');
    } catch (e) {
      throw new NxswError('FILE_ERROR', `cannot read the NXDL file ${f.file}: ${errorMessage(e)}`);
    }
    const def = parseDefinition(text, f.file, f.category);
    this.parsed.set(name, def);
    return def;
  }
}

/** The child's items first; the parent's items it does not redefine after (same kind and key). */
function mergeGroup(child: NxdlGroup, parent: NxdlGroup): NxdlGroup {
  const mergeList = <T extends { name: string }>(a: readonly T[], b: readonly T[], key: (x: T) => string, deep?: (x: T, y: T) => T): T[] => {
    const own = new Map(a.map((x) => [key(x), x]));
    const out = a.map((x) => {
      const p = b.find((y) => key(y) === key(x));
      return p && deep ? deep(x, p) : x;
    });
    for (const y of b) if (!own.has(key(y))) out.push(y);
    return out;
  };
  const groupKey = (g: NxdlGroup) => `${g.type}/${g.nameType === 'any' ? '' : g.name}`;
  return {
    ...child,
    groups: mergeList(child.groups, parent.groups, groupKey, mergeGroup),
    choices: mergeList(child.choices, parent.choices, (c) => c.name),
    fields: mergeList(child.fields, parent.fields, (f) => f.name),
    attributes: mergeList(child.attributes, parent.attributes, (a) => a.name),
    links: mergeList(child.links, parent.links, (l) => l.name),
  };
}

// ---- parsing ---------------------------------------------------------------------------------

interface RawElement {
  name: string;
  attributes: Record<string, string>;
  children: RawElement[];
}

function readXml(text: string, file: string): RawElement {
  const parser = sax.parser(true, { trim: true, xmlns: false, position: true });
  const stack: RawElement[] = [];
  let root: RawElement | undefined;
  parser.onopentag = (node) => {
    const attributes: Record<string, string> = {};
    for (const [k, v] of Object.entries(node.attributes)) attributes[k] = typeof v === 'string' ? v : v.value;
    // namespaces are not resolved: drop a prefix so nx:field and field read alike
    const el: RawElement = { name: node.name.replace(/^.*:/, ''), attributes, children: [] };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else root = el;
    stack.push(el);
  };
  parser.onclosetag = () => {
    stack.pop();
  };
  try {
    parser.write(text).close();
    if (stack.length) throw new Error(`<${stack[stack.length - 1]!.name}> is not closed`);
  } catch (e) {
    throw new NxswError('FILE_ERROR', `${file}: not a valid NXDL file: ${errorMessage(e).split('\n')[0]} (line ${parser.line + 1})`);
  }
  if (!root || root.name !== 'definition') throw new NxswError('FILE_ERROR', `${file}: not an NXDL file (the root is not <definition>)`);
  return root;
}

const truthy = (v: string | undefined): boolean => v?.trim().toLowerCase() === 'true';

function occurrence(a: Record<string, string>, application: boolean): { required: boolean; recommended: boolean; maxOccurs: number } {
  const recommended = truthy(a.recommended);
  const maxRaw = a.maxOccurs?.trim();
  const maxOccurs = maxRaw === undefined || maxRaw === '' ? Infinity : maxRaw === 'unbounded' ? Infinity : Number(maxRaw);
  let required = application;
  if (a.minOccurs !== undefined) required = Number(a.minOccurs) > 0;
  else if (a.optional !== undefined) required = !truthy(a.optional);
  else if (recommended) required = false;
  return { required: application && required, recommended, maxOccurs };
}

function nameTypeOf(a: Record<string, string>, hasName: boolean): NameType {
  const t = a.nameType?.trim();
  if (t === 'any' || t === 'partial' || t === 'specified') return t;
  return hasName ? 'specified' : 'any';
}

function enumerationOf(el: RawElement): string[] | undefined {
  const e = el.children.find((c) => c.name === 'enumeration');
  if (!e) return undefined;
  const items = e.children.filter((c) => c.name === 'item' && c.attributes.value !== undefined).map((c) => c.attributes.value!);
  // an open enumeration (open="true") lists suggestions only
  return items.length && !truthy(e.attributes.open) ? items : undefined;
}

/** the group name the NeXus manual uses for an unnamed group: NXentry → ENTRY */
export function defaultGroupName(type: string): string {
  return type.replace(/^NX/, '').toUpperCase();
}

export function parseDefinition(text: string, file: string, category: Category): NxdlDefinition {
  const root = readXml(text, file);
  const name = root.attributes.name?.trim();
  if (!name) throw new NxswError('FILE_ERROR', `${file}: the <definition> has no name`);
  const application = root.attributes.category?.trim() === 'application';

  const attribute = (el: RawElement, parentPath: string): NxdlAttribute => {
    const n = el.attributes.name?.trim() ?? '';
    return {
      kind: 'attribute', name: n, nameType: nameTypeOf(el.attributes, true), path: `${parentPath}/@${n}`,
      ...occurrence(el.attributes, application), deprecated: el.attributes.deprecated,
      type: el.attributes.type?.trim(), enumeration: enumerationOf(el),
    };
  };

  const field = (el: RawElement, parentPath: string): NxdlField => {
    const n = el.attributes.name?.trim() ?? '';
    const path = `${parentPath}/${n}`;
    const dimsEl = el.children.find((c) => c.name === 'dimensions');
    const rankRaw = dimsEl?.attributes.rank?.trim();
    const dims: NxdlDim[] = (dimsEl?.children ?? []).filter((c) => c.name === 'dim').map((d) => {
      const v = d.attributes.value?.trim();
      return {
        index: Number(d.attributes.index ?? 0),
        value: v === undefined || v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : DIM_ERRATA[path]?.[v] ?? v,
        required: d.attributes.required === undefined ? true : truthy(d.attributes.required),
      };
    });
    return {
      kind: 'field', name: n, nameType: nameTypeOf(el.attributes, true), path,
      ...occurrence(el.attributes, application), deprecated: el.attributes.deprecated,
      type: el.attributes.type?.trim(), units: el.attributes.units?.trim(), enumeration: enumerationOf(el),
      rank: rankRaw === undefined ? (dimsEl ? dims.length : undefined) : /^\d+$/.test(rankRaw) ? Number(rankRaw) : rankRaw,
      dims,
      attributes: el.children.filter((c) => c.name === 'attribute').map((c) => attribute(c, path)),
      impliedAttributes: IMPLIED_ATTRIBUTES.filter((a) => el.attributes[a] !== undefined).map((a) => ({ name: a, value: el.attributes[a]!.trim() })),
    };
  };

  const group = (el: RawElement, parentPath: string | undefined, asRoot: boolean, choiceName?: string): NxdlGroup => {
    const type = asRoot ? name : el.attributes.type?.trim() ?? '';
    const explicit = choiceName ?? el.attributes.name?.trim();
    const n = asRoot ? name : explicit || defaultGroupName(type);
    const path = parentPath === undefined ? n : `${parentPath}/${n}`;
    const occ = asRoot ? { required: true, recommended: false, maxOccurs: 1 } : occurrence(el.attributes, application);
    return {
      kind: 'group', type, name: n, nameType: asRoot ? 'specified' : nameTypeOf(el.attributes, explicit !== undefined && explicit !== ''),
      path, ...occ, deprecated: el.attributes.deprecated,
      groups: el.children.filter((c) => c.name === 'group').map((c) => group(c, path, false)),
      choices: el.children.filter((c) => c.name === 'choice').map((c) => choice(c, path)),
      fields: el.children.filter((c) => c.name === 'field').map((c) => field(c, path)),
      attributes: el.children.filter((c) => c.name === 'attribute').map((c) => attribute(c, path)),
      links: el.children.filter((c) => c.name === 'link').map((c) => ({
        kind: 'link' as const, name: c.attributes.name?.trim() ?? '', nameType: nameTypeOf(c.attributes, true), path: `${path}/${c.attributes.name ?? ''}`,
        ...occurrence(c.attributes, application), deprecated: c.attributes.deprecated, target: c.attributes.target?.trim() ?? '',
      })),
    };
  };

  // nxdl.xsd: the alternatives take the choice's name and give none of their own
  const choice = (el: RawElement, parentPath: string): NxdlChoice => {
    const n = el.attributes.name?.trim() ?? '';
    const path = `${parentPath}/${n}`;
    return {
      kind: 'choice', name: n, nameType: 'specified', path, ...occurrence(el.attributes, application), deprecated: el.attributes.deprecated,
      groups: el.children.filter((c) => c.name === 'group').map((c) => group(c, parentPath, false, n)),
    };
  };

  const ext = root.attributes.extends?.trim();
  const symbols = root.children.filter((c) => c.name === 'symbols').flatMap((s) => s.children.filter((c) => c.name === 'symbol' && c.attributes.name)).map((c) => c.attributes.name!.trim());
  return { name, category, application, extends: ext || undefined, symbols, root: group(root, undefined, true), file };
}

/** Does a name in a file match a definition's name? (nameType partial: capitals stand for any text) */
export function nameMatches(item: { name: string; nameType: NameType }, actual: string): boolean {
  if (item.nameType === 'any') return true;
  if (item.nameType === 'specified') return item.name === actual;
  let re = partialPatterns.get(item.name);
  if (!re) {
    const parts = item.name.split(/([A-Z][A-Z0-9]*)/).map((p, i) => (i % 2 === 1 ? '.*' : p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    re = new RegExp(`^${parts.join('')}$`);
    partialPatterns.set(item.name, re);
  }
  return re.test(actual);
}
const partialPatterns = new Map<string, RegExp>();
