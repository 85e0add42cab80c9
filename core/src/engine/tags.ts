/**
 * The standard tags of the configuration language (spec section 2), one handler each. They are
 * registered through the kernel like a plugin's tags, so a site can add or replace one.
 */
import { HDF5_MAX_RANK, limitError } from '../api/limits.js';
import { elementTypeOfNx, isNxType } from '../api/values.js';
import type { FilterSpec } from '../api/extensions.js';
import type { XmlElement } from '../api/xml.js';
import type {
  AttributePlan, BuildContext, BuildResult, DimPlan, DimensionsPlan, FieldPlan, GroupPlan, LinkPlan, PlanNode,
  SourcePlan, StrategyPlan, TagHandler,
} from './plan.js';

const NONE: BuildResult = { kind: 'none' };

function tag(name: string, parents: readonly string[] | undefined, build: TagHandler['build']): TagHandler {
  return { kind: 'tag', name, parents, build };
}

function nodes(results: BuildResult[]): PlanNode[] {
  return results.flatMap((r) => (r.kind === 'node' ? [r.node] : []));
}

function single<K extends BuildResult['kind']>(el: XmlElement, ctx: BuildContext, results: BuildResult[], kind: K): Extract<BuildResult, { kind: K }> | undefined {
  const found = results.filter((r) => r.kind === kind) as Array<Extract<BuildResult, { kind: K }>>;
  if (found.length > 1) return ctx.fail(el, `<${el.name}> has more than one <${kind}>`);
  return found[0];
}

/**
 * Several <strategy> tags (configurations assembled from components have them): the last one
 * wins, as in the reference, which lets each tag overwrite the element's strategy.
 */
function lastStrategy(results: BuildResult[]): StrategyPlan | undefined {
  return results.filter((r): r is Extract<BuildResult, { kind: 'strategy' }> => r.kind === 'strategy').at(-1)?.strategy;
}

function nxTypeOf(el: XmlElement, ctx: BuildContext, fallback: string | undefined): { nxType: string | undefined; type: ReturnType<typeof elementTypeOfNx> } {
  const raw = el.attributes.type?.trim();
  const nxType = raw === undefined || raw === '' ? fallback : raw;
  if (nxType !== undefined && !isNxType(nxType)) return ctx.fail(el, `unsupported type '${nxType}' (NX_BINARY, NX_COMPLEX and non-NX names are not supported)`);
  return { nxType, type: elementTypeOfNx(nxType) };
}

/** Shared part of field and attribute: type, dimensions, strategy, datasource, text. */
function valueParts(el: XmlElement, ctx: BuildContext, results: BuildResult[], defaultNxType: string | undefined) {
  const name = el.attributes.name;
  if (name === undefined || name.trim() === '') return ctx.fail(el, `${el.name === 'field' ? 'Field' : 'Attribute'} without a name`);
  const { nxType, type } = nxTypeOf(el, ctx, defaultNxType);
  return {
    name: name.trim(),
    nxType,
    type,
    dimensions: single(el, ctx, results, 'dimensions')?.dimensions,
    strategy: lastStrategy(results),
    source: single(el, ctx, results, 'datasource')?.source,
    text: el.text,
    el,
  };
}

const definition = tag('definition', [], (el, ctx) => {
  const children = nodes(ctx.buildChildren(el));
  const group: GroupPlan = { kind: 'group', name: '', nxClass: '', xmlAttributes: {}, attributes: [], children, el };
  return { kind: 'node', node: group };
});

/** legacy NXDL style: <attribute name="name">X</attribute> / name="type" set a group's name/type */
function legacyGroupAttr(el: XmlElement, which: 'name' | 'type'): string | undefined {
  const a = el.children.find((c) => c.name === 'attribute' && c.attributes.name === which && c.children.every((g) => g.name === 'doc'));
  const v = a?.text.trim();
  return v ? v : undefined;
}

const group = tag('group', ['definition', 'group'], (el, ctx) => {
  const type = el.attributes.type?.trim() || legacyGroupAttr(el, 'type');
  if (!type) return ctx.fail(el, 'The group type not defined');
  const results = ctx.buildChildren(el);
  const name = el.attributes.name?.trim() || legacyGroupAttr(el, 'name') || type.slice(2);
  if (!name) return ctx.fail(el, `the group name is empty (type '${type}')`);
  const xmlAttributes = Object.fromEntries(Object.entries(el.attributes).filter(([k]) => k !== 'name' && k !== 'type'));
  const all = nodes(results);
  const attributes = all.filter((n): n is AttributePlan => n.kind === 'attribute' && n.name !== 'name' && n.name !== 'type');
  const children = all.filter((n) => n.kind !== 'attribute');
  const plan: GroupPlan = { kind: 'group', name, nxClass: type, xmlAttributes, attributes, children, el };
  return { kind: 'node', node: plan };
});

const field = tag('field', ['definition', 'group'], (el, ctx) => {
  const results = ctx.buildChildren(el);
  const parts = valueParts(el, ctx, results, undefined);
  const xmlAttributes = Object.fromEntries(Object.entries(el.attributes).filter(([k]) => k !== 'name'));
  const attributes = nodes(results).filter((n): n is AttributePlan => n.kind === 'attribute');
  const plan: FieldPlan = { kind: 'field', ...parts, xmlAttributes, attributes };
  return { kind: 'node', node: plan };
});

const attribute = tag('attribute', ['group', 'field'], (el, ctx) => {
  const results = ctx.buildChildren(el);
  const parts = valueParts(el, ctx, results, 'NX_CHAR');
  const plan: AttributePlan = { kind: 'attribute', ...parts };
  return { kind: 'node', node: plan };
});

const link = tag('link', ['group'], (el, ctx) => {
  const results = ctx.buildChildren(el);
  const name = el.attributes.name?.trim();
  if (!name) return ctx.fail(el, 'Link without a name');
  const target = el.attributes.target?.trim() || el.text.trim() || undefined;
  const plan: LinkPlan = {
    kind: 'link', name, target, el,
    source: single(el, ctx, results, 'datasource')?.source,
    strategy: lastStrategy(results),
  };
  return { kind: 'node', node: plan };
});

function parsePositiveInt(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (!/^[+-]?\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n > 0 ? n : undefined;
}

const dimensions = tag('dimensions', ['field', 'attribute'], (el, ctx) => {
  const rankText = el.attributes.rank?.trim() ?? '0';
  if (!/^\d+$/.test(rankText)) return ctx.fail(el, `rank '${rankText}' is not a non-negative integer`);
  const rank = Number(rankText);
  const { limits } = ctx;
  // before anything is sized by the rank
  if (rank > limits.rank) throw limitError(`rank ${rankText} is more than ${limits.rank}${limits.rank === HDF5_MAX_RANK ? ' (HDF5\'s maximum rank)' : ''}`, 'rank', el.location);
  const dims: DimPlan[] = new Array<DimPlan>(rank).fill(undefined);
  for (const r of ctx.buildChildren(el)) {
    if (r.kind !== 'dim') continue;
    if (r.index < 1 || r.index > rank) return ctx.fail(el, `<dim index="${r.index}"> is outside rank ${rank}`);
    dims[r.index - 1] = r.dim;
  }
  const elements = dims.reduce<number>((n, d) => (typeof d === 'number' ? n * d : n), 1);
  if (elements > limits.valueElements) {
    throw limitError(`the lengths [${dims.map((d) => (typeof d === 'number' ? d : '?')).join(', ')}] make ${elements} elements per value, more than ${limits.valueElements}`, 'valueElements', el.location);
  }
  const plan: DimensionsPlan = { rank, dims };
  return { kind: 'dimensions', dimensions: plan };
});

const dim = tag('dim', ['dimensions'], (el, ctx) => {
  const index = parsePositiveInt(el.attributes.index);
  if (index === undefined) return ctx.fail(el, `<dim> needs a positive integer index (got '${el.attributes.index ?? ''}')`);
  const results = ctx.buildChildren(el);
  const source = single(el, ctx, results, 'datasource')?.source;
  // a non-positive or non-numeric value means "infer the length" (spec 2.6)
  const value: DimPlan = source ?? parsePositiveInt(el.attributes.value ?? el.text);
  return { kind: 'dim', index, dim: value };
});

const MODES = ['INIT', 'STEP', 'FINAL', 'POSTRUN'];

function parseIntList(el: XmlElement, ctx: BuildContext, text: string | undefined, what: string): number[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const parts = text.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) return ctx.fail(el, `${what} '${text}' must be comma-separated non-negative integers`);
  return parts.map(Number);
}

const strategy = tag('strategy', ['field', 'attribute', 'link', 'dim'], (el, ctx) => {
  const a = el.attributes;
  const mode = (a.mode?.trim() || 'INIT').toUpperCase();
  const allowed = el.parent?.name === 'dim' ? [...MODES, 'CONFIG'] : MODES;
  if (!allowed.includes(mode)) return ctx.fail(el, `unknown strategy mode '${a.mode}' (${allowed.join(', ')})`);
  let grows: number | undefined;
  if (a.grows !== undefined) {
    const g = Number(a.grows.trim());
    if (!Number.isInteger(g)) return ctx.fail(el, `grows '${a.grows}' is not an integer`);
    grows = Math.max(1, g);
  }
  const canfail = a.canfail === undefined ? undefined : a.canfail.trim().toLowerCase() === 'true';
  const filters: FilterSpec[] = [];
  // compression="true" means deflate; an integer is a filter id (spec 2.7)
  const compression = a.compression?.trim().toLowerCase();
  if (compression !== undefined && compression !== 'false' && compression !== '') {
    const shuffle = a.shuffle === undefined || a.shuffle.trim().toLowerCase() !== 'false';
    if (shuffle) filters.push({ id: 2 });
    if (compression === 'true') {
      const rate = a.rate === undefined ? 2 : Math.min(9, Math.max(0, Number.parseInt(a.rate, 10) || 0));
      filters.push({ id: 1, cdValues: [rate] });
    } else if (/^\d+$/.test(compression)) {
      const id = Number(compression);
      const opts = parseIntList(el, ctx, a.compression_opts, 'compression_opts');
      filters.push(id === 1 ? { id, cdValues: opts ?? [a.rate === undefined ? 2 : Math.min(9, Math.max(0, Number.parseInt(a.rate, 10) || 0))] } : { id, cdValues: opts });
    } else return ctx.fail(el, `compression '${a.compression}' must be true, false or an HDF5 filter id`);
  }
  const extra = ctx.buildChildren(el).filter((r): r is Extract<BuildResult, { kind: 'filter' }> => r.kind === 'filter');
  extra.sort((x, y) => x.index - y.index);
  filters.push(...extra.map((r) => r.filter));
  const postrun = el.text.trim() || undefined;
  const plan: StrategyPlan = { mode, trigger: a.trigger?.trim() || undefined, grows, canfail, filters, postrun, el };
  return { kind: 'strategy', strategy: plan };
});

const FILTER_IDS: Record<string, number> = { deflate: 1, gzip: 1, shuffle: 2, fletcher32: 3, szip: 4, nbit: 5, scaleoffset: 6 };

const filter = tag('filter', ['strategy'], (el, ctx) => {
  const a = el.attributes;
  let id: number | undefined;
  if (a.id !== undefined && a.id.trim() !== '') {
    if (!/^\d+$/.test(a.id.trim())) return ctx.fail(el, `filter id '${a.id}' is not an integer`);
    id = Number(a.id.trim());
  } else if (a.name !== undefined) {
    id = FILTER_IDS[a.name.trim().toLowerCase()];
    if (id === undefined) return ctx.fail(el, `unknown filter name '${a.name}' (known: ${Object.keys(FILTER_IDS).join(', ')}; or give an id)`);
  } else return ctx.fail(el, '<filter> needs an id or a name');
  const index = a.index === undefined ? 0 : Number(a.index.trim());
  if (!Number.isInteger(index)) return ctx.fail(el, `filter index '${a.index}' is not an integer`);
  const cdValues = parseIntList(el, ctx, a.cd_values, 'cd_values');
  const optional = (a.availability ?? 'mandatory').trim().toLowerCase() === 'optional';
  return { kind: 'filter', index, filter: { id, cdValues, optional } };
});

const datasource = tag('datasource', ['field', 'attribute', 'link', 'dim', 'datasource'], (el, ctx) => {
  const type = el.attributes.type?.trim();
  if (!type) return ctx.fail(el, 'datasource without a type');
  // the source type parses its own children when the entry is opened; here only check their tags
  ctx.buildChildren(el);
  const source: SourcePlan = { type, name: el.attributes.name?.trim() || undefined, el };
  return { kind: 'datasource', source };
});

/** tags whose content a datasource type reads itself */
const sourcePart = (name: string, parents: string[]) => tag(name, parents, (el, ctx) => {
  ctx.buildChildren(el);
  return NONE;
});

/** documentation and NXDL-only tags: accepted, nothing written */
const ignored = (name: string) => tag(name, undefined, () => NONE);

export const STANDARD_TAGS: readonly TagHandler[] = [
  definition, group, field, attribute, link, dimensions, dim, strategy, filter, datasource,
  sourcePart('record', ['datasource']),
  sourcePart('device', ['datasource']),
  sourcePart('database', ['datasource']),
  sourcePart('query', ['datasource']),
  sourcePart('result', ['datasource']),
  ignored('doc'), ignored('symbols'), ignored('symbol'), ignored('enumeration'), ignored('item'),
];

export type { SourcePlan, StrategyPlan };
