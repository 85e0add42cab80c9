/** PGSQL: PostgreSQL through `pg`. */
import pg from 'pg';
import { NxswError } from '@nxsw/core';
import type { ConnectOptions, DatabaseSpec, QueryOptions, SqlColumnKind, SqlConnection, SqlDriver, SqlResult } from '../driver.js';
import { isoFromSqlText } from '../convert.js';
import { abortable, guardedQuery, errText, NETWORK_CODES } from './util.js';

const KIND_BY_OID: Record<number, SqlColumnKind> = {
  20: 'int', 21: 'int', 23: 'int', 26: 'int', 28: 'int',
  700: 'float', 701: 'float', 1700: 'decimal', 16: 'bool',
  1082: 'datetime', 1083: 'datetime', 1114: 'datetime', 1184: 'datetime', 1266: 'datetime',
  25: 'string', 1043: 'string', 1042: 'string', 19: 'string', 18: 'string', 114: 'string', 3802: 'string', 2950: 'string',
  17: 'bytes',
};

// text → JS per column type: exact int8 and numeric, timestamps as ISO text (pg's default Date
// would read a timestamp without zone in this process's zone)
const PARSERS: Record<number, (s: string) => unknown> = {
  20: (s) => BigInt(s),
  1700: (s) => s,
  1082: (s) => s,
  1083: (s) => s,
  1114: isoFromSqlText,
  1184: isoFromSqlText,
  1266: (s) => s,
};
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): (s: string) => unknown {
    return PARSERS[oid] ?? (pg.types.getTypeParser(oid, format as 'text') as (s: string) => unknown);
  },
};

/** Maps a pg / server error to the contract's codes; `broken` tells whether the connection is lost. */
function classify(e: unknown): { error: NxswError; broken: boolean } {
  const code = (e as { code?: string }).code ?? '';
  const msg = errText(e);
  if (code === '57014') return { error: new NxswError('TIMEOUT', `the server cancelled the query: ${msg}`, { cause: e }), broken: false };
  const sqlState = /^[0-9A-Z]{5}$/.test(code);
  // connection, authentication, missing database, resources, shutdown; or no SQLSTATE at all (socket)
  if (!sqlState || /^(08|28|3D|53|57P)/.test(code) || NETWORK_CODES.has(code)) {
    return { error: new NxswError('SOURCE_UNAVAILABLE', msg, { cause: e }), broken: true };
  }
  return { error: new NxswError('DATASOURCE_CONFIG', msg, { cause: e }), broken: false };
}

interface CancelConnection {
  on(event: string, fn: (...a: unknown[]) => void): void;
  connect(port: number, host: string): void;
  cancel(pid: number, key: unknown): void;
  end(): void;
}

class PgConnection implements SqlConnection {
  #client: pg.Client;
  #broken = false;
  #serverTimeout = -1;

  constructor(client: pg.Client) {
    this.#client = client;
    // an idle connection killed by the server (restart, pg_terminate_backend) reports here
    client.on('error', () => { this.#broken = true; });
    client.on('end', () => { this.#broken = true; });
  }

  get usable(): boolean {
    return !this.#broken;
  }

  async setReadOnly(): Promise<void> {
    // the startup packet already set default_transaction_read_only; this checks it took effect
    const r = await this.#client.query('SHOW default_transaction_read_only');
    if ((r.rows[0] as Record<string, unknown>)?.default_transaction_read_only !== 'on') {
      throw new NxswError('SOURCE_UNAVAILABLE', 'could not make the session read-only');
    }
  }

  async query(sql: string, { timeoutMs, signal }: QueryOptions): Promise<SqlResult> {
    const run = async (): Promise<SqlResult> => {
      // the server stops the statement a little after our own limit: a backstop if we lose the socket
      const serverLimit = timeoutMs + 1000;
      if (this.#serverTimeout !== serverLimit) {
        await this.#client.query(`SET statement_timeout = ${serverLimit}`);
        this.#serverTimeout = serverLimit;
      }
      // extended protocol: one statement only, so "…; UPDATE …" cannot ride along
      const res = await this.#client.query({ text: sql, rowMode: 'array', queryMode: 'extended', types } as pg.QueryArrayConfig);
      const fields = res.fields ?? [];
      return {
        columns: fields.map((f) => ({ name: f.name, kind: KIND_BY_OID[f.dataTypeID] ?? 'other' })),
        rows: res.rows as unknown[][],
      };
    };
    return guardedQuery(run(), signal, () => this.#kill(), classify, () => this.#kill());
  }

  #kill(): void {
    if (!this.#broken) this.#cancel();
    this.#broken = true;
    const stream = (this.#client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream;
    stream?.destroy();
  }

  /**
   * Asks the server to stop the running statement (a CancelRequest on a new socket): without it
   * the backend of a dropped connection would run on until its statement_timeout.
   */
  #cancel(): void {
    const c = this.#client as unknown as { processID: number | null; secretKey: unknown; host: string; port: number };
    if (c.processID === null) return;
    const ConnectionClass = (pg as unknown as { Connection: new () => CancelConnection }).Connection;
    const con = new ConnectionClass();
    con.on('error', () => undefined);
    con.on('connect', () => { con.cancel(c.processID!, c.secretKey); con.end(); });
    con.connect(c.port, c.host);
  }

  async close(): Promise<void> {
    this.#broken = true;
    await this.#client.end().catch(() => undefined);
  }
}

export const pgsqlDriver: SqlDriver = {
  kind: 'sql-driver',
  name: 'PGSQL',
  connectionKey(spec: DatabaseSpec): string {
    return `PGSQL ${spec.user ?? ''}@${spec.hostname ?? 'localhost'}:${spec.port ?? 5432}/${spec.dbname ?? ''}`;
  },
  async connect(spec: DatabaseSpec, { connectTimeoutMs, signal }: ConnectOptions): Promise<SqlConnection> {
    const client = new pg.Client({
      host: spec.hostname ?? 'localhost',
      port: spec.port ?? 5432,
      user: spec.user,
      password: spec.password(),
      database: spec.dbname,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'nxsw',
      options: '-c default_transaction_read_only=on',
    });
    client.on('error', () => undefined);
    try {
      await abortable(client.connect(), signal, () => { client.end().catch(() => undefined); });
    } catch (e) {
      client.end().catch(() => undefined);
      if (e instanceof NxswError) throw e;
      throw new NxswError('SOURCE_UNAVAILABLE', `cannot connect: ${errText(e)}`, { cause: e });
    }
    return new PgConnection(client);
  },
};
