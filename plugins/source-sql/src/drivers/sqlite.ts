/** SQLITE: a database file through better-sqlite3, opened read-only. No server needed. */
import Database from 'better-sqlite3';
import { NxswError } from '@nxsw/core';
import type { ConnectOptions, DatabaseSpec, QueryOptions, SqlColumnKind, SqlConnection, SqlDriver, SqlResult } from '../driver.js';
import { errText } from './util.js';

/** SQLite's type affinity rules (declared type → kind), plus BOOL and DATE/TIME by name. */
function kindOf(declared: string | null): SqlColumnKind {
  if (!declared) return 'other';
  const t = declared.toUpperCase();
  if (t.includes('BOOL')) return 'bool';
  if (t.includes('INT')) return 'int';
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return 'string';
  if (t.includes('BLOB')) return 'bytes';
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return 'float';
  if (t.includes('DATE') || t.includes('TIME')) return 'datetime';
  return 'decimal';
}

const UNAVAILABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_IOERR', 'SQLITE_BUSY', 'SQLITE_LOCKED', 'SQLITE_PERM', 'SQLITE_AUTH']);

function classify(e: unknown): NxswError {
  const code = (e as { code?: string }).code ?? '';
  const base = code.replace(/^(SQLITE_[A-Z]+).*/, '$1');
  return new NxswError(UNAVAILABLE.has(base) ? 'SOURCE_UNAVAILABLE' : 'DATASOURCE_CONFIG', errText(e), { cause: e });
}

class SqliteConnection implements SqlConnection {
  #db: Database.Database;
  #statements = new Map<string, Database.Statement>();
  #broken = false;

  constructor(db: Database.Database) {
    this.#db = db;
  }

  get usable(): boolean {
    return !this.#broken && this.#db.open;
  }

  async setReadOnly(): Promise<void> {
    // opened readonly already; query_only also refuses writes to attached or temp databases
    this.#db.pragma('query_only = ON');
  }

  async query(sql: string, { signal }: QueryOptions): Promise<SqlResult> {
    // better-sqlite3 runs synchronously and cannot be interrupted: the limit is checked before
    if (signal.aborted) throw new NxswError('TIMEOUT', 'query not started: the time limit is over');
    try {
      let stmt = this.#statements.get(sql);
      if (!stmt) {
        stmt = this.#db.prepare(sql);
        if (!stmt.reader) return { columns: [], rows: [] };
        stmt.safeIntegers(true).raw(true); // integers as BigInt: exact beyond 2^53
        if (this.#statements.size > 100) this.#statements.clear();
        this.#statements.set(sql, stmt);
      }
      const columns = stmt.columns().map((c) => ({ name: c.name, kind: kindOf(c.type) }));
      return { columns, rows: stmt.all() as unknown[][] };
    } catch (e) {
      const err = classify(e);
      if (err.code === 'SOURCE_UNAVAILABLE') this.#broken = true;
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#broken = true;
    if (this.#db.open) this.#db.close();
  }
}

export const sqliteDriver: SqlDriver = {
  kind: 'sql-driver',
  name: 'SQLITE',
  prepare(spec: DatabaseSpec): DatabaseSpec {
    if (!spec.dbname) throw new Error('SQLITE needs dbname: the path of the database file');
    return spec;
  },
  connectionKey(spec: DatabaseSpec): string {
    return `SQLITE ${spec.dbname ?? ''}`;
  },
  async connect(spec: DatabaseSpec, { signal }: ConnectOptions): Promise<SqlConnection> {
    signal.throwIfAborted();
    try {
      return new SqliteConnection(new Database(spec.dbname!, { readonly: true, fileMustExist: true }));
    } catch (e) {
      throw new NxswError('SOURCE_UNAVAILABLE', `cannot open ${spec.dbname}: ${errText(e)}`, { cause: e });
    }
  },
};
