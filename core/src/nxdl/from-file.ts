/**
 * A written file as the validator sees it, through a sink's reader: structure and attributes
 * are read as the validator walks; dataset values only for small datasets (the rules that need a
 * value: enumerations, dates, the entry's definition), so the cost does not grow with the scan.
 */
import type { NxValue } from '../api/values.js';
import type { ReadAttribute, ReadField, ReadGroup, SinkReader } from '../api/extensions.js';
import { resolve } from './chains.js';
import type { ObservedAttribute, ObservedField, ObservedGroup, ObservedNode } from './observed.js';

/** datasets larger than this are never read */
const MAX_VALUE_ELEMENTS = 64;

function textOf(v: NxValue | undefined): string[] | undefined {
  if (!v) return undefined;
  const d = v.data;
  return Array.isArray(d) ? d : Array.from(d as ArrayLike<number | bigint>, (x) => String(x));
}

function attributesOf(list: readonly ReadAttribute[], path: string): Map<string, ObservedAttribute> {
  const out = new Map<string, ObservedAttribute>();
  for (const a of list) {
    let cached: string[] | undefined | null = null;
    out.set(a.name, {
      name: a.name, where: { path: `${path}/@${a.name}` },
      // read only when a rule asks (a reader may fetch it per call)
      get type() {
        return a.type;
      },
      values: () => (cached === null ? (cached = textOf(a.value())) : cached),
    });
  }
  return out;
}

/** NeXus links carry @target, the path of the object they point at (on the object itself) */
function targetOf(attributes: Map<string, ObservedAttribute>): string | undefined {
  const t = attributes.get('target');
  return t?.type === 'string' ? t.values()?.[0] : undefined;
}

/**
 * `stored` is where the object is stored: its path with every soft link on the way replaced by
 * the link's target. A soft link says what it stands for even without @target (h5py adds none).
 */
function field(f: ReadField, name: string, stored: string): ObservedField {
  let cached: string[] | undefined | null = null;
  const attributes = attributesOf(f.attributes(), f.path);
  return {
    kind: 'field', name, type: f.type, typeLabel: f.typeLabel, rank: f.shape.length, shape: f.shape,
    attributes, where: { path: f.path },
    get linkTarget() {
      return stored !== f.path ? stored : targetOf(attributes);
    },
    values: () => (cached === null ? (cached = textOf(f.read(MAX_VALUE_ELEMENTS))) : cached),
  };
}

/** soft links may point at an ancestor; below this depth a group is not entered */
const MAX_DEPTH = 64;

function group(g: ReadGroup, name: string, depth: number, stored: string): ObservedGroup {
  const attributes = attributesOf(g.attributes(), g.path === '/' ? '' : g.path);
  const nxClass = attributes.get('NX_class')?.values()?.[0];
  const children: ObservedNode[] = g.children().map(({ name: n, node }): ObservedNode => {
    if (node.kind === 'group' && depth >= MAX_DEPTH) return { kind: 'opaque', name: n, reason: `a group deeper than ${MAX_DEPTH} levels (a link cycle?)`, where: { path: node.path } };
    if (node.kind === 'unresolved') return { kind: 'opaque', name: n, reason: node.reason, where: { path: node.path } };
    // a relative link's value starts at the group that holds the link, i.e. where that group is stored
    const here = `${stored === '/' ? '' : stored}/${n}`;
    const childStored = node.softLink === undefined ? here : resolve(here, node.softLink);
    return node.kind === 'group' ? group(node, n, depth + 1, childStored) : field(node, n, childStored);
  });
  return { kind: 'group', name, nxClass, attributes, children, where: { path: g.path }, ...(stored !== g.path ? { linkTarget: stored } : {}) };
}

export function observeFile(reader: SinkReader): ObservedGroup {
  return group(reader.root, '', 0, '/');
}
