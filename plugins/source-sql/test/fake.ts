/** An in-memory sql-driver for tests of the DB type itself (pooling, retries, timeouts). */
import { NxswError } from '@nxsw/core';
import type { ConnectOptions, DatabaseSpec, QueryOptions, SqlConnection, SqlDriver, SqlResult } from '../src/index.js';

export interface FakeBehaviour {
  result?: SqlResult;
  /** ms a query takes */
  delayMs?: number;
  /** connect fails with SOURCE_UNAVAILABLE while true */
  down?: boolean;
  /** the next query on a reused connection fails as if the socket had died */
  killIdle?: boolean;
  /** query error message (DATASOURCE_CONFIG) */
  sqlError?: string;
}

export class FakeDriver implements SqlDriver {
  readonly kind = 'sql-driver' as const;
  connects = 0;
  closes = 0;
  readOnlyCalls = 0;
  queries = 0;
  maxOpen = 0;
  open = 0;
  lastSpec: DatabaseSpec | undefined;
  lastQuery: QueryOptions | undefined;
  constructor(readonly name: string, public behaviour: FakeBehaviour = {}) {}

  connectionKey(spec: DatabaseSpec): string {
    return `${this.name} ${spec.user ?? ''}@${spec.hostname ?? ''}:${spec.port ?? ''}/${spec.dbname ?? ''}`;
  }

  async connect(spec: DatabaseSpec, _o: ConnectOptions): Promise<SqlConnection> {
    this.lastSpec = spec;
    if (this.behaviour.down) throw new NxswError('SOURCE_UNAVAILABLE', `connect ECONNREFUSED (password was ${spec.password()})`);
    this.connects++;
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    let usable = true;
    let used = false;
    // the connection object below is a literal whose methods need the driver's counters
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const drv = this;
    const close = async (): Promise<void> => { drv.closes++; drv.open--; usable = false; };
    return {
      get usable() { return usable; },
      async setReadOnly() { drv.readOnlyCalls++; },
      async query(_sql: string, o: QueryOptions): Promise<SqlResult> {
        drv.queries++;
        drv.lastQuery = o;
        if (used && drv.behaviour.killIdle) { drv.behaviour.killIdle = false; usable = false; throw new NxswError('SOURCE_UNAVAILABLE', 'Connection terminated unexpectedly'); }
        used = true;
        if (drv.behaviour.sqlError) throw new NxswError('DATASOURCE_CONFIG', drv.behaviour.sqlError);
        if (drv.behaviour.delayMs) {
          await new Promise<void>((resolve, reject) => {
            const t = setTimeout(resolve, drv.behaviour.delayMs);
            o.signal.addEventListener('abort', () => { clearTimeout(t); usable = false; reject(new NxswError('TIMEOUT', 'aborted')); }, { once: true });
          });
        }
        return drv.behaviour.result ?? { columns: [{ name: 'x', kind: 'int' }], rows: [[42n]] };
      },
      close,
    };
  }
}
