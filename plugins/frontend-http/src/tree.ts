/**
 * What the h5grove API reads: one file's tree, from either of two sources. A file a session holds
 * open is read through the writer's own sink handles (SinkFile: it changes between requests, so
 * nothing is remembered); a closed file through the sink's reader (SinkReader: the file does not
 * change while the reader is cached, so each group's children are looked up once).
 */
import type { ElementType, NxValue, ReadAttribute, ReadGroup, ReadNode, SinkField, SinkFile, SinkGroup, SinkNode, SinkReader } from '@nxsw/core';
import { GroveError } from './errors.js';

export interface TreeGroup {
  readonly kind: 'group';
  readonly path: string;
  attributes(): readonly ReadAttribute[];
  names(): readonly string[];
  /** the object `name` below, soft links followed; undefined when there is no such name */
  child(name: string): TreeNode | undefined;
}

export interface TreeField {
  readonly kind: 'dataset';
  readonly path: string;
  readonly type: ElementType | undefined;
  readonly shape: readonly number[];
  attributes(): readonly ReadAttribute[];
  /** undefined: the source cannot read slices */
  readonly readSlice?: (start: readonly number[], count: readonly number[]) => NxValue | undefined;
}

export type TreeNode =
  | TreeGroup
  | TreeField
  | { readonly kind: 'soft_link'; readonly target: string }
  | { readonly kind: 'external_link'; readonly file: string; readonly target: string }
  | { readonly kind: 'other'; readonly reason: string };

export interface GroveFile {
  /** the file on disk (for messages) */
  readonly path: string;
  readonly root: TreeGroup;
}

const MAX_LINK_DEPTH = 16;

// ---- a file open for writing ------------------------------------------------------------------

function writerAttributes(node: SinkNode): ReadAttribute[] {
  return node.attributeNames().map((name) => {
    const v = node.getAttribute(name);
    return { name, type: v?.type, shape: v?.shape ?? [], value: () => v };
  });
}

/** The writer's open file as a tree; soft links are resolved from the root on every request. */
export function writerTree(file: SinkFile): GroveFile {
  const field = (f: SinkField): TreeField => ({
    kind: 'dataset', path: f.path, type: f.type, shape: f.shape,
    attributes: () => writerAttributes(f),
    readSlice: f.readSlice ? (start, count) => f.readSlice!(start, count) : undefined,
  });
  const byPath = (path: string, depth: number): TreeNode | undefined => {
    if (depth > MAX_LINK_DEPTH) throw new GroveError(400, `Cannot resolve ${path}: more than ${MAX_LINK_DEPTH} soft links`);
    let node: TreeNode = group(file.root, depth);
    for (const part of path.split('/').filter(Boolean)) {
      if (node.kind !== 'group') return undefined;
      const next = node.child(part);
      if (!next) return undefined;
      node = next;
    }
    return node;
  };
  const group = (g: SinkGroup, depth: number): TreeGroup => ({
    kind: 'group', path: g.path,
    attributes: () => writerAttributes(g),
    names: () => g.keys(),
    child: (name) => {
      if (!g.keys().includes(name)) return undefined;
      const link = g.link?.(name);
      if (link?.file !== undefined) return { kind: 'external_link', file: link.file, target: link.path };
      // a dangling soft link stays a link, as h5grove shows it
      if (link) return byPath(link.path, depth + 1) ?? { kind: 'soft_link', target: link.path };
      const sub = g.openGroup(name);
      if (sub) return group(sub, depth);
      const f = g.openField(name);
      return f ? field(f) : { kind: 'other', reason: 'an object the sink cannot open' };
    },
  });
  return { path: file.path, root: group(file.root, 0) };
}

// ---- a closed file, through the sink's reader -----------------------------------------------

/** A sink reader's file as a tree; each group's children and attributes are read once. */
export function readerTree(reader: SinkReader): GroveFile {
  const node = (n: ReadNode): TreeNode => {
    if (n.kind === 'group') return group(n);
    if (n.kind === 'field') {
      return {
        kind: 'dataset', path: n.path, type: n.type, shape: n.shape,
        attributes: once(() => n.attributes()),
        readSlice: n.readSlice ? (start, count) => n.readSlice!(start, count) : undefined,
      };
    }
    if (n.link?.file !== undefined) return { kind: 'external_link', file: n.link.file, target: n.link.path };
    if (n.link) return { kind: 'soft_link', target: n.link.path };
    return { kind: 'other', reason: n.reason };
  };
  const group = (g: ReadGroup): TreeGroup => {
    const children = once(() => new Map(g.children().map((c) => [c.name, c.node])));
    const nodes = new Map<string, TreeNode>();
    return {
      kind: 'group', path: g.path,
      attributes: once(() => g.attributes()),
      names: () => [...children().keys()],
      child: (name) => {
        const known = nodes.get(name);
        if (known) return known;
        const n = children().get(name);
        if (!n) return undefined;
        const made = node(n);
        nodes.set(name, made);
        return made;
      },
    };
  };
  return { path: reader.path, root: group(reader.root) };
}

function once<T>(make: () => T): () => T {
  let value: T | undefined;
  let made = false;
  return () => {
    if (!made) {
      value = make();
      made = true;
    }
    return value as T;
  };
}
