/**
 * A configuration's plan as the file it will write: the same shapes, types and attributes the
 * engine gives each object (entry.ts): a STEP field gains the record axis, a numeric scalar is
 * stored as shape [1], a string scalar as an HDF5 scalar, the XML attributes of <group> and
 * <field> become HDF5 attributes. Values are known only for static text.
 */
import type { NxValue } from '../api/values.js';
import { stringValue } from '../api/values.js';
import type { AttributePlan, FieldPlan, GroupPlan, LinkPlan } from '../engine/plan.js';
import { nameTree, resolveLinkPath } from '../engine/planner.js';
import { parseStaticText, typedXmlAttribute } from '../engine/static.js';
import type { ObservedAttribute, ObservedField, ObservedGroup, ObservedNode, Where } from './observed.js';

const whereOf = (p: { el: { location: Where } }): Where => ({ line: p.el.location.line, column: p.el.location.column, path: p.el.location.path });

function textOf(v: NxValue): string[] {
  const d = v.data;
  return Array.isArray(d) ? d : Array.from(d as ArrayLike<number | bigint>, (x) => String(x));
}

function fixedAttribute(name: string, value: NxValue, where: Where): ObservedAttribute {
  return { name, type: value.type, values: () => textOf(value), where };
}

function planAttribute(a: AttributePlan): ObservedAttribute {
  const where = whereOf(a);
  const isStatic = !a.source && a.strategy?.mode !== 'POSTRUN';
  let cached: string[] | undefined | null = null;
  return {
    name: a.name, type: a.type, where,
    values: () => {
      if (cached === null) cached = isStatic ? safeStatic(a.text, a.dimensions?.rank ?? 0, a) : undefined;
      return cached;
    },
  };
}

function safeStatic(text: string, rank: number, p: AttributePlan | FieldPlan): string[] | undefined {
  try {
    return textOf(parseStaticText(text, rank, p.type));
  } catch {
    return undefined; // the engine reports unparseable text when it writes; here it is just unknown
  }
}

function fieldMode(f: FieldPlan): string {
  if (f.source) return f.strategy?.mode ?? 'INIT';
  return f.strategy?.mode === 'POSTRUN' ? 'POSTRUN' : 'STATIC';
}

function planField(f: FieldPlan): ObservedField {
  const where = whereOf(f);
  const mode = fieldMode(f);
  const rank = f.dimensions?.rank ?? 0;
  const dims: Array<number | undefined> = (f.dimensions?.dims ?? new Array<undefined>(rank).fill(undefined)).map((d) => (typeof d === 'number' ? d : undefined));
  // static text is parsed only when a rule asks for its values or an axis length the dims leave open:
  // a configuration may hold megabytes of it, and the Tango device checks while other devices wait
  let parsed: NxValue | undefined | null = null;
  const staticValue = (): NxValue | undefined => {
    if (parsed === null) {
      try {
        parsed = f.staticValue ?? parseStaticText(f.text, rank, f.type);
      } catch {
        parsed = undefined; // the engine reports unparseable text when it writes; here it is just unknown
      }
    }
    return parsed;
  };
  const scalar = f.type === 'string' ? [] : [1];
  let shape: () => Array<number | undefined>;
  let recordAxis: ObservedField['recordAxis'];
  if (mode === 'STATIC') shape = () => (rank === 0 ? scalar : dims.every((d) => d !== undefined) ? dims : [...(staticValue()?.shape ?? dims)]);
  else if (mode === 'STEP') {
    const withRecords = [...dims];
    const axis = Math.min(Math.max((f.strategy?.grows ?? 1) - 1, 0), rank);
    withRecords.splice(axis, 0, undefined);
    recordAxis = { axis, stream: f.strategy?.trigger ?? '' };
    shape = () => withRecords;
  } else if (mode === 'POSTRUN') shape = () => (rank === 0 ? [undefined] : dims);
  else shape = () => (rank === 0 ? scalar : dims);
  const fileRank = mode === 'STEP' ? rank + 1 : rank === 0 ? (mode === 'POSTRUN' ? 1 : scalar.length) : rank;

  const attributes = new Map<string, ObservedAttribute>();
  for (const [k, v] of Object.entries(f.xmlAttributes)) attributes.set(k, fixedAttribute(k, typedXmlAttribute(k, v), where));
  if (f.source) attributes.set('nexdatas_source', fixedAttribute('nexdatas_source', stringValue(''), where));
  if (f.strategy) attributes.set('nexdatas_strategy', fixedAttribute('nexdatas_strategy', stringValue(f.strategy.trigger ?? f.strategy.mode), where));
  for (const a of f.attributes) attributes.set(a.name, planAttribute(a));
  return {
    kind: 'field', name: f.name, type: f.type, typeLabel: f.nxType ?? 'NX_CHAR (no type given)',
    rank: fileRank, recordAxis,
    get shape() {
      return shape();
    },
    attributes, where,
    values: () => {
      if (mode !== 'STATIC') return undefined;
      const v = staticValue();
      return v ? textOf(v) : undefined;
    },
  };
}

/**
 * The observed tree of a configuration. Links resolve to what they point at inside the
 * configuration (with the link's name); a link whose target is computed or in another file
 * stays opaque.
 */
export function observePlan(plan: GroupPlan): ObservedGroup {
  const byPath = new Map<string, ObservedNode>();
  const links: Array<{ parent: ObservedNode[]; index: number; link: LinkPlan; target: string }> = [];
  const tree = nameTree(plan);

  const group = (g: GroupPlan, path: string): ObservedGroup => {
    const where = whereOf(g);
    const attributes = new Map<string, ObservedAttribute>();
    if (g.nxClass) attributes.set('NX_class', fixedAttribute('NX_class', stringValue(g.nxClass), where));
    for (const [k, v] of Object.entries(g.xmlAttributes)) attributes.set(k, fixedAttribute(k, typedXmlAttribute(k, v), where));
    for (const a of g.attributes) attributes.set(a.name, planAttribute(a));
    const children: ObservedNode[] = [];
    for (const c of g.children) {
      const childPath = `${path}/${c.name}`;
      if (c.kind === 'group') children.push(group(c, childPath));
      else if (c.kind === 'field') children.push(planField(c));
      else if (c.kind === 'link') {
        const opaque: ObservedNode = { kind: 'opaque', name: c.name, reason: 'a link whose target is computed during the scan', where: whereOf(c) };
        children.push(opaque);
        if (c.target && !c.target.includes(':/')) links.push({ parent: children, index: children.length - 1, link: c, target: c.target });
        continue;
      } else continue;
      byPath.set(childPath, children[children.length - 1]!);
    }
    return { kind: 'group', name: g.name, nxClass: g.nxClass || undefined, attributes, children, where };
  };

  const root = group(plan, '');
  for (const { parent, index, link, target } of links) {
    let resolved: string;
    try {
      resolved = resolveLinkPath(target, tree, link.el);
    } catch {
      continue;
    }
    const path = resolved.startsWith('/') ? resolved : `/${resolved}`;
    const hit = byPath.get(path);
    // the target seen under the link's name; its lazy parts (static values, shape) stay lazy
    if (hit && hit.kind !== 'opaque') parent[index] = Object.assign(Object.create(hit) as typeof hit, { name: link.name, linkTarget: path });
    else parent[index] = { kind: 'opaque', name: link.name, reason: `a link to ${target}, outside the configuration`, where: whereOf(link) };
  }
  return root;
}
