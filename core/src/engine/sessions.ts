/**
 * The writer sessions of this process by name (a Tango device name, `write` for `nxsw write`), so
 * that a second front end (the HTTP live view) can show what the first one drives. A name holds
 * one session; setting it again replaces the session (a Tango Init makes a new one).
 */
import type { WriterSession } from './session.js';

export class SessionRegistry {
  private readonly byName = new Map<string, WriterSession>();

  set(name: string, session: WriterSession): void {
    this.byName.set(name, session);
  }
  delete(name: string): void {
    this.byName.delete(name);
  }
  get(name: string): WriterSession | undefined {
    return this.byName.get(name);
  }
  /** name → session, in registration order */
  entries(): Array<[string, WriterSession]> {
    return [...this.byName.entries()];
  }
}
