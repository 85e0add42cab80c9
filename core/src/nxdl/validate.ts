/**
 * The validator: an observed tree (a configuration's or a file's) against NXDL. For every NXentry
 * / NXsubentry whose `definition` names an application definition (or every NXentry, given an
 * application), what the application definition requires and how it is broken are errors; what
 * it recommends, and base-class checks (names a class does not define, wrong types or units in
 * a base class) are warnings. Each finding names where it is in the observed tree and the
 * definition's path.
 */
import type { NxdlAttribute, NxdlChoice, NxdlField, NxdlGroup, NxdlLibrary, NxdlLink } from './model.js';
import { nameMatches } from './model.js';
import { formatWhere, type ObservedAttribute, type ObservedField, type ObservedGroup, type ObservedNode, type Where } from './observed.js';
import { typeFits, valueProblem } from './types.js';
import { unitsFit, unitsHint } from './units.js';
import { checkDependsOnChains, pathsOf } from './chains.js';

export type Severity = 'error' | 'warning';

export type FindingCode =
  | 'MISSING_GROUP' | 'MISSING_FIELD' | 'MISSING_ATTRIBUTE' | 'MISSING_LINK' | 'LINK_TARGET' | 'MISSING_UNITS'
  | 'RECOMMENDED_MISSING' | 'TOO_MANY' | 'CHOICE' | 'TYPE' | 'UNITS' | 'UNKNOWN_UNITS' | 'ENUMERATION' | 'VALUE' | 'RANK' | 'DIMENSION'
  | 'SYMBOL' | 'SYMBOL_UNKNOWN'
  | 'DEPENDS_ON' | 'TRANSFORMATION' | 'LEGACY_ATTRIBUTE' | 'DEPRECATED' | 'UNKNOWN_NAME' | 'UNKNOWN_CLASS' | 'UNKNOWN_APPLICATION' | 'NO_DEFINITION';

export interface Finding {
  readonly severity: Severity;
  readonly code: FindingCode;
  readonly message: string;
  /** the application definition, or the base class for base-class checks */
  readonly definitionName: string;
  /** the definition's path, e.g. NXmx/ENTRY/INSTRUMENT/DETECTOR/depends_on */
  readonly definition: string;
  /** where in the configuration or file (for a missing object: its parent) */
  readonly where: Where;
}

export interface ValidatedEntry {
  /** path of the NXentry / NXsubentry */
  readonly path: string;
  readonly application: string;
  /** 'definition': named by the entry's definition field; 'option': given by --app */
  readonly from: 'definition' | 'option';
}

export interface NxdlReport {
  readonly ok: boolean;
  readonly errors: number;
  readonly warnings: number;
  readonly nxdlVersion: string;
  readonly entries: readonly ValidatedEntry[];
  readonly findings: readonly Finding[];
}

export interface ValidateOptions {
  /** validate every top-level NXentry against this application definition */
  readonly application?: string;
}

/** match order: exact names claim objects before name patterns do */
const NAME_ORDER = { specified: 0, partial: 1, any: 2 } as const;
const byNameOrder = <T extends { nameType: keyof typeof NAME_ORDER }>(xs: readonly T[]): T[] => [...xs].sort((a, b) => NAME_ORDER[a.nameType] - NAME_ORDER[b.nameType]);

const describeNode = (n: ObservedNode): string => (n.kind === 'group' ? `${n.name}:${n.nxClass ?? '?'}` : n.name);

/** the groups of the application definition a field sits in, each with the observed group it matched */
type Chain = ReadonlyMap<NxdlGroup, ObservedGroup>;

/** one axis of a field whose definition names it by a symbol (nP, i) */
interface SymbolUse {
  readonly field: ObservedField;
  readonly def: NxdlField;
  readonly chain: Chain;
  readonly symbol: string;
  /** 0-based axis in the file */
  readonly axis: number;
  /** for a dim given as an expression (NXdetector's `tof+1`): its terms; `symbol` is then the expression's text */
  readonly terms?: readonly Term[];
}

/** a term of a dim expression: a symbol or a whole number, added or subtracted */
interface Term {
  readonly sign: 1 | -1;
  readonly symbol?: string;
  readonly n?: number;
}

/** the terms of a sum of symbols and whole numbers (`nDarkFrames + nBrightFrames`, `tof+1`); undefined for anything else */
function termsOf(expression: string): Term[] | undefined {
  if (!/^\s*[+-]?\s*(?:[A-Za-z_]\w*|\d+)(?:\s*[+-]\s*(?:[A-Za-z_]\w*|\d+))*\s*$/.test(expression)) return undefined;
  return [...expression.matchAll(/([+-]?)\s*([A-Za-z_]\w*|\d+)/g)].map(([, sign, t]) => ({
    sign: sign === '-' ? -1 : 1, ...(/^\d/.test(t!) ? { n: Number(t) } : { symbol: t }),
  }));
}

/** an axis length: known, "as many as the records of this stream" (before the scan), or not known */
type Length = number | { readonly stream: string } | undefined;

function lengthOf(u: SymbolUse): Length {
  const n = u.field.shape?.[u.axis];
  if (n !== undefined) return n;
  const r = u.field.recordAxis;
  return r && r.axis === u.axis ? { stream: r.stream } : undefined;
}

function describeLength(l: Length): string {
  if (typeof l === 'number') return `length ${l}`;
  if (l) return l.stream ? `as many entries as records triggered by ${l.stream}` : "as many entries as the scan's records";
  return 'a length not known before the scan';
}

/** same: consistent; differ: an error; unknown: only the scan tells */
function compareLengths(a: Length, b: Length): 'same' | 'differ' | 'unknown' {
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 'same' : 'differ';
  if (a === undefined && b === undefined) return 'same'; // nothing known on either side: nothing to say
  if (typeof a === 'object' && typeof b === 'object') return a.stream === b.stream ? 'same' : 'unknown';
  return 'unknown';
}

/** a dim value that is a symbol rather than a length or an expression (NXtomophase's 'nDarkFrames + nBrightFrames + ...') */
const SYMBOL = /^[A-Za-z_]\w*$/;

class Validator {
  readonly findings: Finding[] = [];
  private readonly visitedBase = new Set<ObservedGroup>();
  private symbolUses: SymbolUse[] = [];
  private byPath: Map<string, ObservedNode> | undefined;

  constructor(private readonly lib: NxdlLibrary, private readonly root: ObservedGroup) {}

  add(severity: Severity, code: FindingCode, definitionName: string, definition: string, where: Where, message: string): void {
    this.findings.push({ severity, code, message, definitionName, definition, where });
  }

  /** an observed group against a group of an application definition */
  group(obs: ObservedGroup, def: NxdlGroup, app: string, outer: Chain = new Map()): void {
    const base = obs.nxClass ? this.lib.get(obs.nxClass)?.root : undefined;
    const claimed = new Set<ObservedNode>();
    const chain = new Map(outer).set(def, obs);
    this.attributes(obs.attributes, def.attributes, base?.attributes, obs.where, app);

    for (const f of byNameOrder(def.fields)) {
      const hits = obs.children.filter((c) => !claimed.has(c) && (c.kind === 'field' || c.kind === 'opaque') && nameMatches(f, c.name));
      const taken = f.nameType === 'specified' ? hits.slice(0, 1) : hits;
      taken.forEach((h) => claimed.add(h));
      if (taken.length === 0) {
        this.missing(f, obs, app, `field '${f.name}'`, 'MISSING_FIELD');
        continue;
      }
      if (taken.length > f.maxOccurs) {
        const extra = taken[f.maxOccurs]!;
        this.add('error', 'TOO_MANY', app, f.path, extra.where, f.maxOccurs === 0
          ? `field ${extra.name} must not be in ${describeNode(obs)}: ${f.path} has maxOccurs="0"`
          : `${taken.length} fields in ${describeNode(obs)} match ${f.path}, which allows at most ${f.maxOccurs}`);
      }
      const baseField = base?.fields.find((b) => nameMatches(b, f.name));
      for (const h of taken) if (h.kind === 'field') this.field(h, f, baseField, app, 'error', chain);
    }

    // a choice names its group exactly, so it claims before the class patterns of plain groups do
    for (const ch of def.choices) {
      const hit = obs.children.find((c): c is ObservedGroup => c.kind === 'group' && !claimed.has(c) && c.name === ch.name);
      const classes = ch.groups.map((g) => g.type).join(' or ');
      if (!hit) {
        this.missing(ch, obs, app, `group '${ch.name}' (${classes})`, 'MISSING_GROUP');
        continue;
      }
      claimed.add(hit);
      const alternative = this.choose(hit, ch, app, 'error');
      if (alternative) this.group(hit, alternative, app, chain);
    }

    for (const g of byNameOrder(def.groups)) {
      const hits = obs.children.filter((c): c is ObservedGroup => c.kind === 'group' && !claimed.has(c) && c.nxClass === g.type && nameMatches(g, c.name));
      hits.forEach((h) => claimed.add(h));
      if (hits.length === 0) {
        this.missing(g, obs, app, g.nameType === 'specified' ? `${g.type} group '${g.name}'` : `${g.type} group`, 'MISSING_GROUP');
        continue;
      }
      if (hits.length > g.maxOccurs) {
        this.add('error', 'TOO_MANY', app, g.path, hits[g.maxOccurs]!.where, g.maxOccurs === 0
          ? `group ${describeNode(hits[0]!)} must not be in ${describeNode(obs)}: ${g.path} has maxOccurs="0"`
          : `${hits.length} groups of class ${g.type} in ${describeNode(obs)}; ${g.path} allows at most ${g.maxOccurs}`);
      }
      if (g.deprecated) hits.forEach((h) => this.add('warning', 'DEPRECATED', app, g.path, h.where, `${g.path} is deprecated: ${g.deprecated}`));
      for (const h of hits) this.group(h, g, app, chain);
    }

    for (const l of def.links) {
      const hit = obs.children.find((c) => !claimed.has(c) && nameMatches(l, c.name));
      if (!hit) {
        this.missing(l, obs, app, `link '${l.name}'`, 'MISSING_LINK');
        continue;
      }
      claimed.add(hit);
      if (hit.kind !== 'opaque' && hit.linkTarget) this.linkTarget(hit.linkTarget, hit.where, l, app);
    }

    this.baseChildren(obs, base, obs.children.filter((c) => !claimed.has(c)));
  }

  /**
   * A link's target against the definition's (`/NXentry/NXinstrument/monochromator:NXmonochromator/energy`):
   * each segment names a class, a name, or both, of the object at that depth of the actual path.
   */
  private linkTarget(actual: string, where: Where, def: NxdlLink, app: string): void {
    const want = def.target.split('/').filter(Boolean);
    const names = actual.split('/').filter(Boolean);
    let node: ObservedNode | undefined = this.root;
    const fits = want.length === names.length && names.every((n, i) => {
      node = node?.kind === 'group' ? node.children.find((c) => c.name === n) : undefined;
      if (!node) return false;
      const seg = want[i]!;
      const colon = seg.indexOf(':');
      const cls = node.kind === 'group' ? node.nxClass : undefined;
      if (colon >= 0) return seg.slice(0, colon) === n && seg.slice(colon + 1) === cls;
      if (/^NX[a-z]/.test(seg) && this.lib.has(seg)) return seg === cls;
      return seg === n;
    });
    if (!fits) this.add('error', 'LINK_TARGET', app, def.path, where, `link ${def.name} points at ${actual}; ${def.path} asks for ${def.target}`);
  }

  /** the alternative of a choice the group's class takes; undefined (and a finding) when it takes none */
  private choose(g: ObservedGroup, ch: NxdlChoice, definitionName: string, severity: Severity): NxdlGroup | undefined {
    const alternative = ch.groups.find((a) => a.type === g.nxClass);
    if (!alternative) {
      this.add(severity, 'CHOICE', definitionName, ch.path, g.where, `group ${describeNode(g)} is of class ${g.nxClass ?? '(none)'}; ${ch.path} is one of ${ch.groups.map((a) => a.type).join(', ')}`);
    }
    return alternative;
  }

  private missing(item: { path: string; required: boolean; recommended: boolean }, obs: ObservedGroup, app: string, what: string, code: FindingCode): void {
    if (item.required) this.add('error', code, app, item.path, obs.where, `required ${what} (${item.path}) is missing in ${describeNode(obs)}`);
    else if (item.recommended) this.add('warning', 'RECOMMENDED_MISSING', app, item.path, obs.where, `recommended ${what} (${item.path}) is missing in ${describeNode(obs)}`);
  }

  private attributes(observed: ReadonlyMap<string, ObservedAttribute>, defs: readonly NxdlAttribute[], baseDefs: readonly NxdlAttribute[] | undefined, owner: Where, app: string): void {
    for (const a of defs) {
      const hits = [...observed.values()].filter((o) => nameMatches(a, o.name));
      if (hits.length === 0) {
        if (a.required) this.add('error', 'MISSING_ATTRIBUTE', app, a.path, owner, `required attribute '@${a.name}' (${a.path}) is missing`);
        else if (a.recommended) this.add('warning', 'RECOMMENDED_MISSING', app, a.path, owner, `recommended attribute '@${a.name}' (${a.path}) is missing`);
        continue;
      }
      const baseAttr = baseDefs?.find((b) => nameMatches(b, a.name));
      for (const h of hits) this.value(h, a.type ?? baseAttr?.type, a.enumeration, app, a.path, 'error', `attribute @${h.name}`);
      if (a.deprecated) this.add('warning', 'DEPRECATED', app, a.path, hits[0]!.where, `${a.path} is deprecated: ${a.deprecated}`);
    }
  }

  /** type and value rules of a field or attribute */
  private value(obs: ObservedAttribute | ObservedField, type: string | undefined, enumeration: readonly string[] | undefined, app: string, path: string, severity: Severity, what: string): void {
    if (type && obs.type !== undefined && typeFits(type, obs.type) === false) {
      const label = 'typeLabel' in obs ? obs.typeLabel : obs.type;
      this.add(severity, 'TYPE', app, path, obs.where, `${what} is ${label}, which cannot hold ${type} (${path})`);
      return;
    }
    const needValues = enumeration !== undefined || type === 'NX_DATE_TIME' || type === 'NX_POSINT';
    const values = needValues ? obs.values() : undefined;
    if (!values) return;
    for (const v of values) {
      if (enumeration && !enumeration.some((e) => e === v.trim() || (Number(e) === Number(v) && v.trim() !== ''))) {
        this.add(severity, 'ENUMERATION', app, path, obs.where, `${what} is '${v}', not one of ${enumeration.map((e) => `'${e}'`).join(', ')} (${path})`);
        return;
      }
      const problem = type ? valueProblem(type, v) : undefined;
      if (problem) {
        this.add(severity, 'VALUE', app, path, obs.where, `${what}: ${problem} (${type}, ${path})`);
        return;
      }
    }
  }

  /** an observed field against a field definition (application: errors; base class: warnings) */
  field(obs: ObservedField, def: NxdlField, baseField: NxdlField | undefined, app: string, severity: Severity, chain?: Chain): void {
    const type = def.type ?? baseField?.type;
    this.value(obs, type, def.enumeration, app, def.path, severity, `field ${obs.name}`);
    this.units(obs, def.units ?? baseField?.units, app, def.path, severity);
    const axesFit = this.rank(obs, def, app, severity);
    // symbols bind across an application definition's fields; a rank that does not fit says enough
    if (chain && axesFit) {
      for (const d of def.dims) {
        if (typeof d.value !== 'string' || d.index < 1 || d.index > (obs.rank ?? 0)) continue;
        const terms = SYMBOL.test(d.value) ? undefined : termsOf(d.value);
        if (SYMBOL.test(d.value) || terms) this.symbolUses.push({ field: obs, def, chain, symbol: d.value, axis: d.index - 1, ...(terms ? { terms } : {}) });
      }
    }
    if (severity === 'error') {
      this.attributes(obs.attributes, def.attributes, baseField?.attributes, obs.where, app);
      this.impliedAttributes(obs, def, app);
    }
    if (def.deprecated) this.add('warning', 'DEPRECATED', app, def.path, obs.where, `${def.path} is deprecated: ${def.deprecated}`);
  }

  /** axis="1" on a field definition: the dataset carries @axis=1 (discouraged by NXDL, hence a warning) */
  private impliedAttributes(obs: ObservedField, def: NxdlField, app: string): void {
    for (const { name, value } of def.impliedAttributes) {
      const attr = obs.attributes.get(name);
      const actual = attr?.values()?.[0];
      if (!attr) this.add('warning', 'LEGACY_ATTRIBUTE', app, `${def.path}/@${name}`, obs.where, `field ${obs.name} has no attribute @${name}; ${def.path} names ${name}="${value}" (a legacy NXDL form)`);
      else if (actual !== undefined && actual.trim() !== value && ['signal', 'axis', 'primary'].includes(name)) {
        this.add('warning', 'LEGACY_ATTRIBUTE', app, `${def.path}/@${name}`, attr.where, `field ${obs.name} has @${name}=${actual}; ${def.path} names ${name}="${value}"`);
      }
    }
  }

  private units(obs: ObservedField, category: string | undefined, app: string, path: string, severity: Severity): void {
    if (!category || category === 'NX_UNITLESS') return;
    const attr = obs.attributes.get('units');
    if (!attr) {
      if (severity === 'error') this.add('error', 'MISSING_UNITS', app, path, obs.where, `field ${obs.name} has no units; ${path} asks for ${category}`);
      return;
    }
    const units = attr.values()?.[0];
    if (units === undefined) return;
    const transformation = obs.attributes.get('transformation_type')?.values()?.[0]?.trim();
    const verdict = unitsFit(units, category, transformation);
    if (verdict === 'wrong') this.add(severity, 'UNITS', app, path, attr.where, `field ${obs.name} has units '${units}', not ${category}${unitsHint(units)} (${path})`);
    else if (verdict === 'unknown-units') this.add('warning', 'UNKNOWN_UNITS', app, path, attr.where, `field ${obs.name}: units '${units}' are not known to nxsw, so they cannot be checked against ${category} (${path})`);
  }

  /** true when the field's axes line up with the definition's dims (then symbols can bind) */
  private rank(obs: ObservedField, def: NxdlField, app: string, severity: Severity): boolean {
    if (obs.rank === undefined || def.rank === undefined) return false;
    let min: number;
    let max: number;
    if (typeof def.rank === 'number') min = max = def.rank;
    else if (def.dims.length > 0) {
      // a symbolic rank (dataRank) is bounded by the listed dims, some of which may be optional
      max = def.dims.length;
      min = def.dims.filter((d) => d.required).length;
    } else return false;
    // NeXus stores a scalar as shape [] or [1]
    const inRange = obs.rank >= min && obs.rank <= max;
    const scalarLike = obs.rank === 1 && obs.shape?.[0] === 1 && min === 0;
    if (!inRange && !scalarLike) {
      const want = min === max ? `rank ${min}` : `rank ${min} to ${max}`;
      this.add(severity, 'RANK', app, def.path, obs.where, `field ${obs.name} has rank ${obs.rank}; ${def.path} asks for ${want}`);
      return false;
    }
    if (!inRange) return false; // a scalar stored as [1]: no axes to compare
    for (const d of def.dims) {
      const actual = obs.shape?.[d.index - 1];
      if (typeof d.value === 'number' && actual !== undefined && actual !== d.value) {
        this.add(severity, 'DIMENSION', app, def.path, obs.where, `field ${obs.name}: axis ${d.index} has length ${actual}; ${def.path} asks for ${d.value}`);
      }
    }
    return true;
  }

  /** the dataset a field is: a link's target when the link names one in this tree (a link to a link: to the end) */
  private dataset(f: ObservedField): ObservedField {
    this.byPath ??= pathsOf(this.root);
    let d = f;
    const seen = new Set<ObservedField>();
    while (d.linkTarget && d.linkTarget !== d.where.path && !seen.has(d)) {
      seen.add(d);
      const t = this.byPath.get(d.linkTarget);
      if (t?.kind !== 'field') break;
      d = t;
    }
    return d;
  }

  /**
   * Dimension symbols of one checked entry: every axis the definition names by the same symbol has
   * the same length. Two uses bind only where they sit in the same instance of every definition
   * group both pass through (two NXmx detectors may differ in pixels, not in nP); a link takes its
   * target's groups too, so NXdata's link to one detector's data is bound to that detector only.
   */
  symbols(app: string): void {
    const uses = this.symbolUses.splice(0);
    const chainOf = new Map<SymbolUse, Chain>();
    for (const u of uses) {
      const target = this.dataset(u.field);
      const targetUse = target !== u.field ? uses.find((x) => x.field === target) : undefined;
      chainOf.set(u, targetUse ? new Map([...targetUse.chain, ...u.chain]) : u.chain);
    }
    const bound = (u: SymbolUse, v: SymbolUse): boolean => {
      if (this.dataset(u.field) === this.dataset(v.field)) return false;
      const cv = chainOf.get(v)!;
      for (const [g, o] of chainOf.get(u)!) {
        const p = cv.get(g);
        if (p && p !== o) return false;
      }
      return true;
    };
    const bySymbol = new Map<string, SymbolUse[]>();
    // a dataset is named where it is, not where a link shows it: links after the rest
    const isLink = (u: SymbolUse): number => (this.dataset(u.field) !== u.field ? 1 : 0);
    for (const u of [...uses].sort((x, y) => isLink(x) - isLink(y))) if (!u.terms) bySymbol.set(u.symbol, [...(bySymbol.get(u.symbol) ?? []), u]);
    const at = (u: SymbolUse, l: Length): string => `${u.field.name} axis ${u.axis + 1} has ${describeLength(l)} (${u.def.path}; ${formatWhere(u.field.where)})`;
    // each axis is compared with the earlier ones not already reported, so one odd field is named once
    const faulty = new Set<SymbolUse>();
    for (const [symbol, list] of bySymbol) {
      list.forEach((v, j) => {
        const unknownWith: SymbolUse[] = [];
        const agrees: SymbolUse[] = [];
        const b = lengthOf(v);
        for (const u of list.slice(0, j)) {
          if (faulty.has(u) || !bound(u, v)) continue;
          const a = lengthOf(u);
          const verdict = compareLengths(a, b);
          if (verdict === 'same' && a !== undefined) agrees.push(u);
          if (verdict === 'differ') {
            faulty.add(v);
            this.add('error', 'SYMBOL', app, v.def.path, v.field.where,
              `field ${v.field.name}: axis ${v.axis + 1} has length ${b as number} where ${at(u, a)}; ${app} gives both axes the symbol ${symbol}`);
            return;
          }
          if (verdict === 'unknown') unknownWith.push(u);
        }
        // a doubt an axis this one agrees with already raised is not raised again
        const doubt = unknownWith.find((w) => !agrees.some((u) => bound(u, w)));
        if (doubt) {
          const a = lengthOf(doubt);
          this.add('warning', 'SYMBOL_UNKNOWN', app, v.def.path, v.field.where,
            `cannot tell before the scan whether field ${v.field.name} axis ${v.axis + 1} (${describeLength(b)}) matches where ${at(doubt, a)}; ${app} gives both axes the symbol ${symbol}`);
        }
      });
    }

    // an expression is checked where every symbol in it has an axis bound to it (the first such
    // axis stands for the symbol: the rest agree with it or are reported above); a link to a
    // field with the expression is that field
    for (const v of uses) {
      if (!v.terms || (isLink(v) && uses.some((u) => u.field === this.dataset(v.field) && u.symbol === v.symbol))) continue;
      const values: Array<{ term: Term; use?: SymbolUse; length: Length }> = [];
      for (const term of v.terms) {
        if (term.symbol === undefined) {
          values.push({ term, length: term.n });
          continue;
        }
        const use = (bySymbol.get(term.symbol) ?? []).find((u) => !faulty.has(u) && bound(u, v));
        if (!use) break; // a symbol no axis gives a length: nothing to compare with
        values.push({ term, use, length: lengthOf(use) });
      }
      if (values.length < v.terms.length) continue;
      const b = lengthOf(v);
      const named = values.filter((x) => x.use).map((x) => `${x.term.symbol}: ${at(x.use!, x.length)}`).join('; ');
      if (typeof b === 'number' && values.every((x) => typeof x.length === 'number')) {
        const total = values.reduce((sum, x) => sum + x.term.sign * (x.length as number), 0);
        if (total !== b) {
          this.add('error', 'SYMBOL', app, v.def.path, v.field.where,
            `field ${v.field.name}: axis ${v.axis + 1} has length ${b} where ${app} gives it ${v.symbol.trim()} = ${total} (${named})`);
        }
      } else if (b !== undefined || values.some((x) => x.length !== undefined)) {
        this.add('warning', 'SYMBOL_UNKNOWN', app, v.def.path, v.field.where,
          `cannot tell before the scan whether field ${v.field.name} axis ${v.axis + 1} (${describeLength(b)}) is ${v.symbol.trim()} (${named})`);
      }
    }
  }

  /** children no application definition claimed, against the base class of their parent */
  baseChildren(parent: ObservedGroup, base: NxdlGroup | undefined, children: readonly ObservedNode[]): void {
    if (!parent.nxClass) return;
    if (!base) {
      this.add('warning', 'UNKNOWN_CLASS', parent.nxClass, parent.nxClass, parent.where, `group ${describeNode(parent)}: ${parent.nxClass} is not a NeXus base class in this NXDL folder`);
      return;
    }
    // what each item of the base class matched, for its maxOccurs
    const matched = new Map<NxdlField | NxdlGroup, ObservedNode[]>();
    const count = (def: NxdlField | NxdlGroup, c: ObservedNode): void => void matched.set(def, [...(matched.get(def) ?? []), c]);
    for (const c of children) {
      if (c.kind === 'opaque') continue;
      if (c.kind === 'field') {
        const def = byNameOrder(base.fields).find((f) => nameMatches(f, c.name));
        if (!def) this.add('warning', 'UNKNOWN_NAME', base.type, base.path, c.where, `field '${c.name}' is not defined in base class ${base.type}`);
        else {
          count(def, c);
          this.field(c, def, undefined, base.type, 'warning');
        }
        continue;
      }
      const choice = base.choices.find((ch) => ch.name === c.name);
      if (choice) {
        this.choose(c, choice, base.type, 'warning');
        this.baseGroup(c);
        continue;
      }
      const def = byNameOrder(base.groups).find((g) => g.type === c.nxClass && nameMatches(g, c.name));
      if (!def && c.nxClass) this.add('warning', 'UNKNOWN_NAME', base.type, base.path, c.where, `group ${describeNode(c)} is not defined in base class ${base.type}`);
      if (def) count(def, c);
      if (def?.deprecated) this.add('warning', 'DEPRECATED', base.type, def.path, c.where, `${def.path} is deprecated: ${def.deprecated}`);
      this.baseGroup(c);
    }
    for (const [def, hits] of matched) {
      if (hits.length <= def.maxOccurs) continue;
      const what = def.kind === 'field' ? 'fields' : `groups of class ${def.type}`;
      this.add('warning', 'TOO_MANY', base.type, def.path, hits[def.maxOccurs]!.where, def.maxOccurs === 0
        ? `${describeNode(hits[0]!)} must not be in ${describeNode(parent)}: ${def.path} has maxOccurs="0"`
        : `${hits.length} ${what} in ${describeNode(parent)} match ${def.path}, which allows at most ${def.maxOccurs}`);
    }
  }

  /** a group an application definition covers is not looked at again by the base-class pass */
  covered(g: ObservedGroup): void {
    this.visitedBase.add(g);
  }

  /** a group no application definition covers: its children against its own base class */
  baseGroup(g: ObservedGroup): void {
    if (this.visitedBase.has(g)) return;
    this.visitedBase.add(g);
    this.baseChildren(g, g.nxClass ? this.lib.get(g.nxClass)?.root : undefined, g.children);
  }
}

function definitionOf(g: ObservedGroup): ObservedNode | undefined {
  return g.children.find((c) => c.name === 'definition');
}

/**
 * Validates the observed tree below `root` (a file's root, or a configuration's <definition>):
 * every NXentry (and NXsubentry) that names an application definition, or all NXentry groups
 * against `options.application`; everything else against the base classes.
 */
export function validateTree(root: ObservedGroup, lib: NxdlLibrary, options: ValidateOptions = {}): NxdlReport {
  const v = new Validator(lib, root);
  const entries: ValidatedEntry[] = [];
  const validated = new Set<ObservedGroup>();

  const run = (g: ObservedGroup, app: string, from: ValidatedEntry['from']): void => {
    const def = lib.get(app);
    if (!def || !def.application) {
      v.add(from === 'option' ? 'error' : 'warning', 'UNKNOWN_APPLICATION', app, app, g.where,
        `${def ? `${app} is a base class, not an application definition` : `no application definition ${app} in ${lib.dir}`} (known: ${lib.applications().join(', ')})`);
      return;
    }
    const entryDef = def.root.groups.find((x) => x.type === 'NXentry' || x.type === 'NXsubentry');
    if (!entryDef) return;
    entries.push({ path: g.where.path, application: app, from });
    validated.add(g);
    v.covered(g);
    v.group(g, entryDef, app);
    v.symbols(app);
  };

  const fromDefinition = (g: ObservedGroup): string | undefined | null => {
    const d = definitionOf(g);
    if (!d) return undefined;
    const value = d.kind === 'field' ? d.values()?.[0]?.trim() : undefined;
    if (value === undefined) {
      v.add('warning', 'NO_DEFINITION', g.nxClass ?? '', `${g.nxClass}/definition`, d.where, `the definition of ${describeNode(g)} is not known before the scan (it comes from a datasource); give the application with --app to check it`);
      return null;
    }
    return value;
  };

  const tops = root.children.filter((c): c is ObservedGroup => c.kind === 'group' && c.nxClass === 'NXentry');
  for (const entry of tops) {
    if (options.application) {
      run(entry, options.application, 'option');
      continue;
    }
    const app = fromDefinition(entry);
    if (app) run(entry, app, 'definition');
    const subs = entry.children.filter((c): c is ObservedGroup => c.kind === 'group' && c.nxClass === 'NXsubentry');
    for (const sub of subs) {
      const subApp = fromDefinition(sub);
      if (subApp) run(sub, subApp, 'definition');
    }
  }
  // depends_on chains: errors inside an entry checked against an application definition
  const entryPaths = [...pathsOf(root)].filter(([, n]) => n.kind === 'group' && validated.has(n)).map(([p]) => `${p}/`);
  for (const c of checkDependsOnChains(root)) {
    const inEntry = entryPaths.some((p) => c.start.startsWith(p));
    v.add(inEntry ? 'error' : 'warning', c.code, 'NXtransformations', 'NXtransformations', c.where, c.message);
  }
  // what no application definition covered: base classes only
  for (const c of root.children) if (c.kind === 'group') v.baseGroup(c);

  const errors = v.findings.filter((f) => f.severity === 'error').length;
  return { ok: errors === 0, errors, warnings: v.findings.length - errors, nxdlVersion: lib.version, entries, findings: v.findings };
}
