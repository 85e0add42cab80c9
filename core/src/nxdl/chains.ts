/**
 * depends_on chains (NeXus coordinate systems): every `depends_on` field points, by an absolute
 * path or one relative to its group, at a transformation, whose `@depends_on` points at the next,
 * until ".". Each transformation says `@transformation_type` (translation or rotation) and
 * `@vector` (3 numbers), `@offset` when given is 3 numbers too, and its units fit its type. A
 * value not known before the scan (a datasource) ends the walk silently.
 */
import { unitsFit } from './units.js';
import type { ObservedField, ObservedGroup, ObservedNode, Where } from './observed.js';

export type ChainProblem = { readonly code: 'DEPENDS_ON' | 'TRANSFORMATION'; readonly where: Where; readonly message: string; readonly start: string };

/** the file path of every object below root (a link's copy has the link's path) */
export function pathsOf(root: ObservedGroup): Map<string, ObservedNode> {
  const byPath = new Map<string, ObservedNode>();
  const walk = (g: ObservedGroup, path: string): void => {
    for (const c of g.children) {
      const p = `${path}/${c.name}`;
      byPath.set(p, c);
      if (c.kind === 'group') walk(c, p);
    }
  };
  walk(root, '');
  return byPath;
}

/** `target` (absolute, or relative to the group holding `from`) as a normalized absolute path */
export function resolve(from: string, target: string): string {
  const parts = (target.startsWith('/') ? target : `${from.slice(0, from.lastIndexOf('/'))}/${target}`).split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return `/${out.join('/')}`;
}

const first = (f: ObservedField, attr: string): string | undefined => f.attributes.get(attr)?.values()?.[0]?.trim();

function transformationProblems(t: ObservedField): string[] {
  const problems: string[] = [];
  const type = first(t, 'transformation_type');
  if (type === undefined && !t.attributes.has('transformation_type')) problems.push('has no @transformation_type');
  else if (type !== undefined && type !== 'translation' && type !== 'rotation') problems.push(`has @transformation_type '${type}', not translation or rotation`);
  const vector = t.attributes.get('vector');
  const v = vector?.values();
  if (!vector) problems.push('has no @vector');
  else if (v && (v.length !== 3 || v.some((x) => !Number.isFinite(Number(x))))) problems.push(`has @vector [${v.join(', ')}], not 3 numbers`);
  const offset = t.attributes.get('offset')?.values();
  if (offset && (offset.length !== 3 || offset.some((x) => !Number.isFinite(Number(x))))) problems.push(`has @offset [${offset.join(', ')}], not 3 numbers`);
  const units = first(t, 'units');
  if (units !== undefined && (type === 'translation' || type === 'rotation') && unitsFit(units, 'NX_TRANSFORMATION', type) === 'wrong') {
    problems.push(`is a ${type} in '${units}', not ${type === 'translation' ? 'a length' : 'an angle'}`);
  }
  return problems;
}

/** Every depends_on chain below root, each transformation reported once. */
export function checkDependsOnChains(root: ObservedGroup): ChainProblem[] {
  const byPath = pathsOf(root);
  const problems: ChainProblem[] = [];
  const checked = new Set<ObservedField>();
  for (const [path, node] of byPath) {
    if (node.kind !== 'field' || node.name !== 'depends_on') continue;
    let from = path;
    let next = node.values()?.[0]?.trim();
    const seen = new Set<string>();
    let where = node.where;
    while (next !== undefined && next !== '.' && next !== '') {
      const target = resolve(from, next);
      if (seen.has(target)) {
        problems.push({ code: 'DEPENDS_ON', where, start: path, message: `the depends_on chain from ${path} loops back to ${target}` });
        break;
      }
      seen.add(target);
      const t = byPath.get(target);
      if (!t || t.kind === 'group') {
        problems.push({ code: 'DEPENDS_ON', where, start: path, message: `the depends_on chain from ${path} is broken: '${next}' (${target}) is ${t ? 'a group, not a transformation' : 'not in the file'}` });
        break;
      }
      if (t.kind === 'opaque') break;
      if (!checked.has(t)) {
        checked.add(t);
        for (const p of transformationProblems(t)) problems.push({ code: 'TRANSFORMATION', where: t.where, start: path, message: `transformation ${target} (in the depends_on chain from ${path}) ${p}` });
      }
      from = target;
      where = t.where;
      next = first(t, 'depends_on');
    }
  }
  return problems;
}
