/**
 * The writer sessions of this process by name (a Tango device name, `write` for `nxsw write`), so
 * that a second front end (the HTTP live view) can show what the first one drives. A name holds
 * one session; setting it again replaces the session (a Tango Init makes a new one).
 *
 * The registry also passes on what its sessions do with their files (SessionFileEvent) and keeps
 * each name's last closed files across such a replacement: the live view of a scan survives Init.
 */
import type { ClosedFiles, SessionFileEvent, WriterSession } from './session.js';

export type RegistryFileListener = (name: string, session: WriterSession, event: SessionFileEvent) => void;

export class SessionRegistry {
  private readonly byName = new Map<string, { session: WriterSession; unwatch: () => void }>();
  private readonly closed = new Map<string, ClosedFiles>();
  private readonly listeners = new Set<RegistryFileListener>();

  set(name: string, session: WriterSession): void {
    const old = this.byName.get(name);
    if (old?.session === session) return;
    old?.unwatch();
    const unwatch = session.watchFiles((event) => {
      if (event.kind === 'closed') this.closed.set(name, event.closed);
      else this.closed.delete(name);
      for (const l of this.listeners) l(name, session, event);
    });
    this.byName.set(name, { session, unwatch });
  }
  delete(name: string): void {
    this.byName.get(name)?.unwatch();
    this.byName.delete(name);
    this.closed.delete(name);
  }
  get(name: string): WriterSession | undefined {
    return this.byName.get(name)?.session;
  }
  /** name → session, in registration order */
  entries(): Array<[string, WriterSession]> {
    return [...this.byName.entries()].map(([name, { session }]) => [name, session]);
  }
  /** the files the session of this name (or the one it replaced) closed last */
  lastClosed(name: string): ClosedFiles | undefined {
    return this.closed.get(name);
  }
  /** calls `listener` with every file event of every session registered; returns the unsubscribe function */
  watchFiles(listener: RegistryFileListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
