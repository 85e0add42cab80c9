/**
 * OpenEntry's second half: turns the validated plan into file objects and phase pools. It first
 * prepares everything that can fail (sources, shapes, static values, link targets) without
 * writing, then performs the writes in document order.
 */
import { ConfigError, errorMessage } from '../api/errors.js';
import { limitError, type InputLimits } from '../api/limits.js';
import type { DataSource, FieldSpec, SinkGroup } from '../api/extensions.js';
import { castValue, stringValue, type NxValue } from '../api/values.js';
import { serializeXml, type XmlElement } from '../api/xml.js';
import { redactSecrets } from '../api/secrets.js';
import type { Logger } from '../api/plugin.js';
import type { AttributePlan, DimPlan, FieldPlan, GroupPlan, LinkPlan, PlanNode, SourcePlan } from './plan.js';
import { resolveLinkPath, type NameTree } from './planner.js';
import { parseStaticText, typedXmlAttribute } from './static.js';
import { slicer } from './yielding.js';
import { AttributeElement, FieldElement, FileBinding, LinkElement, type Acquirable, type FieldLayout } from './elements.js';

export interface EntryEnvironment {
  readonly binding: FileBinding;
  /** absolute path under which the definition's top-level objects go ('' for the root) */
  readonly parentPath: string;
  /** the output file as the user named it, to recognise links into the same file */
  readonly isSameFile: (file: string) => boolean;
  readonly tree: NameTree;
  readonly createSource: (plan: SourcePlan) => DataSource;
  readonly timeoutOf: (plan: SourcePlan) => number;
  /** reads a source at configuration time (a <dim> length, a missing shape) within its time limit */
  readonly readConfigValue: (source: DataSource, label: string, timeoutMs: number) => Promise<NxValue>;
  readonly globalCanFail: boolean;
  /** SkipAcquisition: reopen existing objects instead of creating them */
  readonly reload: boolean;
  /** records the client announced for the scan (a hint for chunk shapes) */
  readonly expectedRecords?: number;
  readonly log: Logger;
  readonly limits: InputLimits;
}

export interface Entry {
  readonly init: Acquirable[];
  readonly step: Acquirable[];
  readonly final: Acquirable[];
  readonly triggers: Map<string, Acquirable[]>;
  readonly sources: DataSource[];
}

/** Passwords never reach the file (api/secrets.ts). */
export function redactedSourceXml(el: XmlElement): string {
  return redactSecrets(serializeXml(el));
}

function joinPath(parent: string, name: string): string {
  return `${parent === '/' ? '' : parent}/${name}`;
}

export async function openEntry(plan: GroupPlan, env: EntryEnvironment): Promise<Entry> {
  const entry: Entry = { init: [], step: [], final: [], triggers: new Map(), sources: [] };
  const writes: Array<() => void> = [];
  const { binding } = env;
  // thousands of objects take seconds: the other devices are served in between
  const tick = slicer();

  const makeSource = (sp: SourcePlan): DataSource => {
    const s = env.createSource(sp);
    entry.sources.push(s);
    return s;
  };

  const addToPool = (a: Acquirable, mode: string, trigger: string | undefined): void => {
    if (mode === 'STEP') {
      if (trigger) {
        let pool = entry.triggers.get(trigger);
        if (!pool) entry.triggers.set(trigger, (pool = []));
        pool.push(a);
      } else entry.step.push(a);
    } else if (mode === 'INIT') entry.init.push(a);
    else if (mode === 'FINAL') entry.final.push(a);
  };

  const canfailOf = (strategy: FieldPlan['strategy']): boolean =>
    // decision (spec quirk 10.2): an explicit canfail="false" is honoured even when the global flag is set
    strategy === undefined ? false : strategy.canfail ?? env.globalCanFail;

  const resolveDims = async (dims: readonly DimPlan[], label: string): Promise<(number | undefined)[]> => {
    const out: (number | undefined)[] = [];
    for (const d of dims) {
      if (d === undefined || typeof d === 'number') out.push(d);
      else {
        const v = await env.readConfigValue(makeSource(d), `${label} <dim>`, env.timeoutOf(d));
        const n = Number((castValue(v, 'int64').data as BigInt64Array)[0] ?? 0n);
        out.push(n > 0 ? n : undefined);
      }
    }
    return out;
  };

  /** lengths read from sources at OpenEntry obey the limit the configuration's own lengths obeyed */
  const checkLengths = (dims: readonly (number | undefined)[], el: XmlElement): void => {
    const elements = dims.reduce<number>((n, d) => n * (d ?? 1), 1);
    if (elements > env.limits.valueElements) {
      throw limitError(`the lengths [${dims.map((d) => d ?? '?').join(', ')}] (read when the entry opened) make ${elements} elements per value, more than ${env.limits.valueElements}`, 'valueElements', el.location);
    }
  };

  /**
   * Lengths the configuration leaves open (spec 2.4): from the source's current value (the global
   * JSON at OpenEntry, a Tango read, ...), else from the field's text. They fix the frame, and so
   * the chunk shape, before the dataset is created; when nothing answers, the first value
   * written sets them.
   */
  const inferDims = async (dims: (number | undefined)[], rank: number, source: DataSource | undefined, f: FieldPlan, label: string, timeoutMs: number): Promise<void> => {
    let shape: readonly number[] | undefined;
    if (source) {
      try {
        const v = await env.readConfigValue(source, label, timeoutMs);
        // a value one rank higher is a block of steps: its frame is what follows the first axis
        if (v.shape.length === rank) shape = v.shape;
        else if (v.shape.length === rank + 1) shape = v.shape.slice(1);
      } catch {
        // nothing to learn now
      }
    }
    if (!shape && f.text.trim() !== '') {
      try {
        shape = parseStaticText(f.text, rank, 'string').shape;
      } catch {
        // the text does not give a shape either
      }
    }
    if (shape) for (let i = 0; i < rank; i++) if (dims[i] === undefined && shape[i]! > 0) dims[i] = shape[i];
  };

  const linkMaker = (el: XmlElement) => (group: SinkGroup, name: string, target: string): void => {
    const marker = target.indexOf(':/');
    if (marker >= 0) {
      const file = target.slice(0, marker);
      // decision (spec quirk 10.5): "file:/a/b" and "file://a/b" both mean the path /a/b
      const path = '/' + target.slice(marker + 2).replace(/^\/+/, '');
      if (env.isSameFile(file)) group.createSoftLink(path, name);
      else group.createExternalLink(file, path, name);
      return;
    }
    group.createSoftLink(resolveLinkPath(target, env.tree, el), name);
  };

  const prepareAttribute = async (a: AttributePlan, ownerPath: string, ownerKind: 'group' | 'field', ownerLabel: string): Promise<void> => {
    const rank = a.dimensions?.rank ?? 0;
    const dims = await resolveDims(a.dimensions?.dims ?? [], ownerLabel);
    checkLengths(dims, a.el);
    const label = `${ownerLabel}@${a.name}`;
    if (a.source) {
      const mode = a.strategy?.mode ?? 'INIT';
      if (mode === 'POSTRUN') return;
      const el = new AttributeElement(label, ownerPath, ownerKind, a.name, a.type, rank, dims, binding, makeSource(a.source), canfailOf(a.strategy), env.timeoutOf(a.source));
      addToPool(el, mode, a.strategy?.trigger);
      return;
    }
    if (a.text.trim() === '' && a.type !== 'string') throw new ConfigError('CONFIG_INVALID', `Warning: Invalid datasource for ${a.name}: a ${a.nxType} attribute needs a value or a <datasource>`, a.el.location);
    let value: NxValue;
    try {
      value = parseStaticText(a.text, rank, a.type);
    } catch (e) {
      throw new ConfigError('CONFIG_INVALID', `attribute ${a.name}: ${errorMessage(e)}`, a.el.location);
    }
    writes.push(() => binding.node(ownerPath, ownerKind).setAttribute(a.name, value));
  };

  const prepareField = async (f: FieldPlan, parentPath: string, parentLabel: string): Promise<void> => {
    const path = joinPath(parentPath, f.name);
    const label = `${parentLabel}/${f.name}`;
    const rank = f.dimensions?.rank ?? 0;
    const dims = await resolveDims(f.dimensions?.dims ?? [], label);
    const strategy = f.strategy;
    const mode = f.source ? strategy?.mode ?? 'INIT' : strategy?.mode === 'POSTRUN' ? 'POSTRUN' : 'STATIC';
    const isString = f.type === 'string';
    let spec: FieldSpec;
    let staticValue: NxValue | undefined;
    // one source per element, also used to learn missing lengths
    const source = f.source && (mode === 'INIT' || mode === 'STEP' || mode === 'FINAL') ? makeSource(f.source) : undefined;
    if (rank > 0 && dims.some((d) => d === undefined)) await inferDims(dims, rank, source, f, label, f.source ? env.timeoutOf(f.source) : 0);
    checkLengths(dims, f.el);
    const known = dims.map((d) => d ?? 0);

    if (mode === 'STATIC') {
      if (f.staticValue) staticValue = castValue(f.staticValue, f.type);
      else if (f.text.trim() === '' && !isString) {
        throw new ConfigError('CONFIG_INVALID', `Warning: Invalid datasource for ${f.name}: a ${f.nxType} field needs text, a <datasource> or a POSTRUN strategy`, f.el.location);
      } else {
        try {
          staticValue = parseStaticText(f.text, rank, f.type);
        } catch (e) {
          throw new ConfigError('CONFIG_INVALID', `field ${f.name}: ${errorMessage(e)}`, f.el.location);
        }
      }
      if (staticValue.shape.length === 0 && !isString) staticValue = { ...staticValue, shape: [1] };
      spec = { type: f.type, shape: staticValue.shape, scalar: staticValue.shape.length === 0, filters: isString ? [] : strategy?.filters };
    } else if (mode === 'STEP') {
      const recordAxis = Math.min(Math.max((strategy?.grows ?? 1) - 1, 0), rank);
      const shape = [...known];
      shape.splice(recordAxis, 0, 0);
      spec = { type: f.type, shape, recordAxis, filters: strategy?.filters, frameShape: known, expectedRecords: env.expectedRecords };
    } else if (mode === 'POSTRUN') {
      spec = { type: f.type, shape: rank === 0 ? [0] : known, recordAxis: rank === 0 ? 0 : undefined, filters: strategy?.filters };
    } else {
      // INIT / FINAL: a string scalar is an HDF5 scalar, a numeric scalar a (1,) dataset
      const scalar = rank === 0 && isString;
      spec = { type: f.type, shape: rank === 0 ? (isString ? [] : [1]) : known, scalar, filters: isString ? [] : strategy?.filters };
    }

    const attrs: Array<[string, NxValue]> = Object.entries(f.xmlAttributes).map(([k, v]) => [k, typedXmlAttribute(k, v)]);
    if (f.source) attrs.push(['nexdatas_source', stringValue(redactedSourceXml(f.source.el))]);
    if (strategy) attrs.push(['nexdatas_strategy', stringValue(strategy.trigger ?? strategy.mode)]);
    if (mode === 'POSTRUN' && strategy?.postrun) attrs.push(['postrun', stringValue(strategy.postrun)]);

    writes.push(() => {
      const parent = binding.group(parentPath || '/');
      let field = env.reload ? parent.openField(f.name, { recordAxis: spec.recordAxis }) : undefined;
      const existed = field !== undefined;
      field ??= parent.createField(f.name, spec);
      binding.remember(path, field);
      if (!existed) {
        if (staticValue) field.write(staticValue);
        for (const [k, v] of attrs) field.setAttribute(k, v);
      }
    });

    if (source && f.source) {
      const layout: FieldLayout = { type: f.type, rank, dims, storage: mode === 'STEP' ? 'append' : 'write', recordAxis: spec.recordAxis ?? 0 };
      const el = new FieldElement(label, path, binding, layout, source, canfailOf(strategy), env.timeoutOf(f.source));
      addToPool(el, mode, strategy?.trigger);
    }
    for (const a of f.attributes) await prepareAttribute(a, path, 'field', label);
  };

  const prepareLink = (l: LinkPlan, parentPath: string, parentLabel: string): void => {
    const make = linkMaker(l.el);
    if (l.target) {
      // resolve now so that an unresolvable target is a configuration error before any write
      if (!l.target.includes(':/')) resolveLinkPath(l.target, env.tree, l.el);
      const target = l.target;
      writes.push(() => {
        const where = parentPath || '/';
        if (env.reload && binding.has(where, l.name)) return;
        make(binding.group(where), l.name, target);
        binding.added(where, l.name);
      });
      return;
    }
    if (!l.source) return; // a link with no target at all is skipped (spec 2.8)
    const mode = l.strategy?.mode ?? 'INIT';
    const el = new LinkElement(`${parentLabel}/${l.name}`, parentPath || '/', l.name, binding, make, makeSource(l.source), canfailOf(l.strategy), env.timeoutOf(l.source));
    addToPool(el, mode, l.strategy?.trigger);
  };

  const prepareGroup = async (g: GroupPlan, parentPath: string, parentLabel: string, top: boolean): Promise<void> => {
    const path = joinPath(parentPath, g.name);
    const label = `${parentLabel}/${g.name}:${g.nxClass}`;
    if (top && !env.reload) {
      const parent = safeGroup(parentPath);
      if (parent?.keys().includes(g.name)) {
        throw new ConfigError('CONFIG_INVALID', `The group '${g.name}' of '${g.nxClass}' type cannot be created. Please remove the old file, change the file name or change the group name.`, g.el.location);
      }
    }
    const attrs: Array<[string, NxValue]> = [['NX_class', stringValue(g.nxClass)], ...Object.entries(g.xmlAttributes).map(([k, v]): [string, NxValue] => [k, typedXmlAttribute(k, v)])];
    writes.push(() => {
      const parent = binding.group(parentPath || '/');
      const existing = env.reload ? parent.openGroup(g.name) : undefined;
      const group = existing ?? parent.createGroup(g.name);
      binding.remember(path, group);
      if (!existing) for (const [k, v] of attrs) group.setAttribute(k, v);
    });
    await prepareChildren(g.children, path, label);
    for (const a of g.attributes) await prepareAttribute(a, path, 'group', label);
  };

  const safeGroup = (path: string): SinkGroup | undefined => {
    try {
      return binding.group(path || '/');
    } catch {
      return undefined;
    }
  };

  const prepareChildren = async (children: readonly PlanNode[], parentPath: string, parentLabel: string, top = false): Promise<void> => {
    for (const c of children) {
      await tick();
      if (c.kind === 'group') await prepareGroup(c, parentPath, parentLabel, top);
      else if (c.kind === 'field') await prepareField(c, parentPath, parentLabel);
      else if (c.kind === 'link') prepareLink(c, parentPath, parentLabel);
      else throw new ConfigError('CONFIG_INVALID', `<attribute ${c.name}> directly inside <definition> has no owner`, c.el.location);
    }
  };

  try {
    await prepareChildren(plan.children, env.parentPath, labelOf(env.parentPath), true);
  } catch (e) {
    await Promise.allSettled(entry.sources.map((s) => s.close?.()));
    throw e;
  }
  for (const w of writes) {
    w();
    await tick();
  }
  if (!env.reload) writeDefaultChain(plan, env);
  return entry;
}

/**
 * The NeXus default-plot chain, so viewers (H5Web, silx, NeXpy) open the data directly:
 * /@default names the first NXentry, and each NXentry's @default its first NXdata group. Only
 * where the configuration did not set `default` itself.
 */
function writeDefaultChain(plan: GroupPlan, env: EntryEnvironment): void {
  const hasDefault = (g: GroupPlan) => 'default' in g.xmlAttributes || g.attributes.some((a) => a.name === 'default');
  const entries = plan.children.filter((c): c is GroupPlan => c.kind === 'group' && c.nxClass === 'NXentry');
  const parent = env.binding.group(env.parentPath || '/');
  if (env.parentPath === '' && entries[0] && !parent.attributeNames().includes('default')) {
    parent.setAttribute('default', stringValue(entries[0].name));
  }
  for (const e of entries) {
    const data = e.children.find((c): c is GroupPlan => c.kind === 'group' && c.nxClass === 'NXdata');
    if (data && !hasDefault(e)) env.binding.group(joinPath(env.parentPath, e.name)).setAttribute('default', stringValue(data.name));
  }
}

/** the parent path's label: plain names (classes are not known for a FileName parent path) */
function labelOf(parentPath: string): string {
  return parentPath === '/' ? '' : parentPath;
}
