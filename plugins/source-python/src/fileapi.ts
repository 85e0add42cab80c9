/**
 * The worker's calls into the file being written (python/nxsw_python/fileapi.py is the caller):
 * every object is an absolute path, every operation goes to the sink's group/field API.
 */
import { NxswError, castValue, ELEMENT_TYPES } from '@nxsw/core';
import type { ElementType, NxValue, SinkFile, SinkGroup, SinkNode, VirtualFieldSpec } from '@nxsw/core';
import { isWireArray, type WireValue } from './codec.js';
import type { CallHandler } from './worker.js';

/**
 * names as h5py lists them in the reference's files (HDF5's name index: byte order of the UTF-8
 * names), whatever order the sink keeps: the reference's scripts see them so (nxstools'
 * get_links, secop.create_sample_nxdata's result), and a sink tracking creation order (h5wasm's)
 * would give another
 */
function h5pyOrder(names: readonly string[]): string[] {
  return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function parts(path: string): string[] {
  return path.split('/').filter(Boolean);
}

function elementType(name: unknown, what: string): ElementType {
  if (typeof name === 'string' && (ELEMENT_TYPES as readonly string[]).includes(name)) return name as ElementType;
  throw new Error(`${what}: unsupported element type '${String(name)}' (supported: ${ELEMENT_TYPES.join(', ')})`);
}

function arrayArg(v: WireValue, what: string): NxValue {
  if (!isWireArray(v)) throw new Error(`${what}: expected a value`);
  return v.array;
}

export class FileApi {
  constructor(private readonly file: SinkFile, private readonly sinkName: string) {}

  /** the handler the worker's calls go to */
  readonly handler: CallHandler = (op, args) => {
    const fn = (this.ops as Record<string, ((...a: WireValue[]) => WireValue) | undefined>)[op];
    if (!fn) throw new Error(`unknown file operation '${op}'`);
    return fn(...args);
  };

  private group(path: string): SinkGroup {
    let g = this.file.root;
    for (const p of parts(path)) {
      const next = g.openGroup(p);
      if (!next) throw new Error(`no group ${path} in ${this.file.path}`);
      g = next;
    }
    return g;
  }

  private split(path: string): [SinkGroup, string] {
    const ps = parts(path);
    const name = ps.pop();
    if (!name) throw new Error('the root has no parent');
    return [this.group(`/${ps.join('/')}`), name];
  }

  private node(path: string): SinkNode {
    if (parts(path).length === 0) return this.file.root;
    const [g, name] = this.split(path);
    const n = g.openGroup(name) ?? g.openField(name);
    if (!n) throw new Error(`no object ${path} in ${this.file.path}`);
    return n;
  }

  private readonly ops = {
    info: (path: WireValue): WireValue => {
      if (parts(path as string).length === 0) return { kind: 'group' };
      const [g, name] = this.split(path as string);
      if (g.openGroup(name)) return { kind: 'group' };
      const f = g.openField(name);
      if (f) return { kind: 'field', type: f.type, shape: [...f.shape] };
      return { kind: g.keys().includes(name) ? 'link' : 'missing' };
    },
    names: (path: WireValue): WireValue => h5pyOrder(this.group(path as string).keys()),
    /** a soft or external link's target ({file} only for external ones); null for a hard link or object */
    link_info: (path: WireValue): WireValue => {
      const [g, name] = this.split(path as string);
      const l = g.link?.(name);
      return l ? (l.file !== undefined ? { file: l.file, path: l.path } : { path: l.path }) : null;
    },
    /** before a script reads data back from the file */
    flush: (): WireValue => {
      this.file.flush();
      return null;
    },
    create_group: (path: WireValue, name: WireValue, nxClass: WireValue): WireValue => {
      const g = this.group(path as string).createGroup(name as string);
      if (nxClass) g.setAttribute('NX_class', { type: 'string', shape: [], data: [nxClass as string] });
      return null;
    },
    create_field: (path: WireValue, name: WireValue, type: WireValue, shape: WireValue): WireValue => {
      const dims = (shape as number[]).map(Number);
      this.group(path as string).createField(name as string, { type: elementType(type, `field ${String(name)}`), shape: dims, scalar: dims.length === 0 });
      return null;
    },
    write: (path: WireValue, value: WireValue): WireValue => {
      const [g, name] = this.split(path as string);
      const f = g.openField(name);
      if (!f) throw new Error(`no field ${String(path)}`);
      f.write(castValue(arrayArg(value, String(path)), f.type));
      return null;
    },
    attr_names: (path: WireValue): WireValue => h5pyOrder(this.node(path as string).attributeNames()),
    attr_read: (path: WireValue, name: WireValue): WireValue => {
      const v = this.node(path as string).getAttribute(name as string);
      return v ? { array: v, asList: true } : null;
    },
    attr_write: (path: WireValue, name: WireValue, value: WireValue, type: WireValue): WireValue => {
      let v = arrayArg(value, `${String(path)}@${String(name)}`);
      if (type) v = castValue(v, elementType(type, `attribute ${String(name)}`));
      this.node(path as string).setAttribute(name as string, v);
      return null;
    },
    link: (path: WireValue, name: WireValue, kind: WireValue, file: WireValue, target: WireValue): WireValue => {
      const g = this.group(path as string);
      if (kind === 'external') g.createExternalLink(file as string, target as string, name as string);
      else if (kind === 'hard') g.createHardLink(target as string, name as string);
      else g.createSoftLink(target as string, name as string);
      return null;
    },
    create_virtual_field: (path: WireValue, name: WireValue, spec: WireValue): WireValue => {
      const g = this.group(path as string);
      if (!g.createVirtualField) {
        throw new NxswError('FILE_ERROR', `the sink ${this.sinkName} cannot store virtual datasets (it does not implement createVirtualField); ${String(path)}/${String(name)} needs a sink that does, such as the native HDF5 sink`);
      }
      const s = spec as Record<string, WireValue>;
      g.createVirtualField(name as string, { ...(s as unknown as VirtualFieldSpec), type: elementType(s.type, `virtual field ${String(name)}`) });
      return null;
    },
  };
}
