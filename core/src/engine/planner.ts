/**
 * Walks the XML tree and dispatches every element to its tag handler, producing the plan.
 * Unknown tags and tags in the wrong place are errors with line, column and element path.
 */
import { ConfigError } from '../api/errors.js';
import { DEFAULT_LIMITS, type InputLimits } from '../api/limits.js';
import type { XmlElement } from '../api/xml.js';
import type { BuildContext, BuildResult, GroupPlan, TagHandler } from './plan.js';

export type TagLookup = (name: string) => TagHandler | undefined;

export function buildPlan(root: XmlElement, tags: TagLookup, tagNames: () => string[], limits: InputLimits = DEFAULT_LIMITS): GroupPlan {
  const ctx: BuildContext = {
    limits,
    buildChildren: (el) => el.children.map((c) => buildOne(c)),
    fail: (el, message) => {
      throw new ConfigError('CONFIG_INVALID', message, el.location);
    },
  };
  const buildOne = (el: XmlElement): BuildResult => {
    const handler = tags(el.name);
    if (!handler) {
      throw new ConfigError('UNSUPPORTED_TAG', `Unsupported tag: ${el.name}, [${Object.keys(el.attributes).join(', ')}] (known tags: ${tagNames().sort().join(', ')})`, el.location);
    }
    const parents = handler.parents;
    if (parents !== undefined) {
      const parent = el.parent?.name;
      const ok = parent === undefined ? parents.length === 0 : parents.includes(parent);
      if (!ok) {
        const allowed = parents.length === 0 ? 'only as the document root' : `only inside ${parents.map((p) => `<${p}>`).join(', ')}`;
        throw new ConfigError('CONFIG_INVALID', `<${el.name}> is not allowed ${parent === undefined ? 'as the document root' : `inside <${parent}>`}; it may appear ${allowed}`, el.location);
      }
    }
    return handler.build(el, ctx);
  };
  if (root.name !== 'definition') {
    if (!tags(root.name)) buildOne(root); // reports the unsupported tag
    throw new ConfigError('CONFIG_INVALID', `the document root must be <definition>, not <${root.name}>`, root.location);
  }
  const r = buildOne(root);
  if (r.kind !== 'node' || r.node.kind !== 'group') throw new ConfigError('CONFIG_INVALID', 'the <definition> handler did not build a group', root.location);
  return r.node;
}

/** The configuration's group tree, for resolving link targets written with NX classes (spec 2.8). */
export interface NameTree {
  readonly name: string;
  readonly nxClass: string;
  /** child groups by name, and the first child group of each class: one lookup per link segment */
  readonly byName: ReadonlyMap<string, NameTree>;
  readonly firstOfClass: ReadonlyMap<string, NameTree>;
}

export function nameTree(plan: GroupPlan): NameTree {
  const byName = new Map<string, NameTree>();
  const firstOfClass = new Map<string, NameTree>();
  for (const c of plan.children) {
    if (c.kind !== 'group') continue;
    const t = nameTree(c);
    if (!byName.has(t.name)) byName.set(t.name, t);
    if (!firstOfClass.has(t.nxClass)) firstOfClass.set(t.nxClass, t);
  }
  return { name: plan.name, nxClass: plan.nxClass, byName, firstOfClass };
}

/**
 * Resolves `/NXentry/NXinstrument/det:NXdetector/mca` against the tree: every segment but the
 * last may be `name:NXclass`, `NXclass` (first group of that class) or a plain name. A target
 * without a leading `/` (`entry1:NXentry/data/x`, as templates and scripts write them) starts at
 * the root too, as in the reference: the result is always an absolute path.
 */
export function resolveLinkPath(target: string, tree: NameTree, where: XmlElement): string {
  const parts = target.split('/').filter(Boolean);
  const out: string[] = [];
  let level: NameTree | undefined = tree;
  for (let i = 0; i < parts.length; i++) {
    const seg = parts[i]!;
    if (i === parts.length - 1) {
      out.push(seg);
      break;
    }
    const colon = seg.indexOf(':');
    if (colon >= 0) {
      const name = seg.slice(0, colon);
      out.push(name);
      level = level?.byName.get(name);
      continue;
    }
    if (level) {
      const hit = (seg.startsWith('NX') ? level.firstOfClass.get(seg) : undefined) ?? level.byName.get(seg);
      if (hit) {
        out.push(hit.name);
        level = hit;
        continue;
      }
    }
    if (seg.startsWith('NX') && !level) {
      throw new ConfigError('CONFIG_INVALID', `Link creation problem: ${target} cannot be found (${seg} is not a group of the configuration)`, where.location);
    }
    out.push(seg);
    level = undefined;
  }
  return '/' + out.join('/');
}
