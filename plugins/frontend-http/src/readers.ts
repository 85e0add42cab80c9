/**
 * The readers of closed files, opened when a request first needs one, kept for the next requests
 * (an H5Web page asks for meta, attributes and data in bursts) and bounded: past `max` readers
 * the least recently used one is closed. A reader is reopened when its file changed on disk (its
 * size or modification time), and closed when a session is about to open the file for writing
 * (`release`) and when the server stops.
 */
import { statSync, type Stats } from 'node:fs';
import { NxswError, errorMessage, type SinkFactory, type SinkReader } from '@nxsw/core';
import { GroveError } from './errors.js';
import { readerTree, type GroveFile } from './tree.js';

interface Entry {
  readonly reader: SinkReader;
  readonly tree: GroveFile;
  /** size and mtime when opened: another value means the file changed */
  readonly stamp: string;
}

/** the file's identity on disk: another inode at the path is another file */
export interface FileIdentity {
  readonly dev: number;
  readonly ino: number;
}

export function identityOf(path: string): FileIdentity | undefined {
  try {
    const s = statSync(path);
    return { dev: s.dev, ino: s.ino };
  } catch {
    return undefined;
  }
}

export class ReaderCache {
  /** in use order: the first entry is the least recently used */
  private readonly entries = new Map<string, Entry>();
  /** bumped by release(): an open that started before it must not be cached */
  private readonly generation = new Map<string, number>();
  private opened = 0;

  constructor(readonly max: number) {}

  /** readers opened so far (for tests of reuse and eviction) */
  get opens(): number {
    return this.opened;
  }
  /** the files whose readers are cached now, least recently used first */
  get cached(): string[] {
    return [...this.entries.keys()];
  }

  /**
   * The tree of the closed file `path`, which `sink` wrote, read through a cached reader. `what`
   * names the file in messages (the session); `identity` is the file as the session left it: a
   * file deleted or replaced since is gone (410).
   */
  async get(path: string, sink: SinkFactory, what: string, identity: FileIdentity | undefined): Promise<GroveFile> {
    let st: Stats;
    try {
      st = statSync(path);
    } catch {
      this.drop(path);
      throw new GroveError(410, `File not found: ${path} (${what}) was deleted after it was closed`);
    }
    if (identity && (st.dev !== identity.dev || st.ino !== identity.ino)) {
      this.drop(path);
      throw new GroveError(410, `File not found: ${path} (${what}) was replaced by another file after it was closed; the live view serves only files its sessions wrote`);
    }
    const stamp = `${st.size}:${st.mtimeMs}`;
    const hit = this.entries.get(path);
    if (hit && hit.stamp === stamp) {
      this.entries.delete(path);
      this.entries.set(path, hit);
      return hit.tree;
    }
    this.drop(path);
    if (!sink.openReader) throw new GroveError(501, `the sink ${sink.name} that wrote ${path} cannot read files back`);
    const gen = this.generation.get(path) ?? 0;
    let reader: SinkReader;
    try {
      reader = await sink.openReader(path);
    } catch (e) {
      if (e instanceof NxswError && e.code === 'FILE_LOCKED') throw new GroveError(409, `${path} (${what}) cannot be read now: ${e.message}`);
      throw new GroveError(500, `${path} (${what}) cannot be read: ${errorMessage(e)}`);
    }
    this.opened++;
    if ((this.generation.get(path) ?? 0) !== gen) {
      // a session started writing it while the reader opened
      reader.close();
      throw new GroveError(409, `${path} (${what}) is being written again; reload`);
    }
    // two requests may have opened it at once: keep one reader
    this.drop(path);
    const entry = { reader, tree: readerTree(reader), stamp };
    this.entries.set(path, entry);
    while (this.entries.size > this.max) this.drop(this.entries.keys().next().value!);
    return entry.tree;
  }

  /** closes the reader of `path` (a session is about to write it) */
  release(path: string): void {
    this.generation.set(path, (this.generation.get(path) ?? 0) + 1);
    this.drop(path);
  }

  close(): void {
    for (const path of [...this.entries.keys()]) this.drop(path);
  }

  private drop(path: string): void {
    const e = this.entries.get(path);
    if (!e) return;
    this.entries.delete(path);
    try {
      e.reader.close();
    } catch {
      /* closing a reader of a file that went away: nothing left to free */
    }
  }
}
