/** MYSQL: MySQL and MariaDB through `mysql2`, with the client library's option files and defaults. */
import { userInfo } from 'node:os';
import mysql from 'mysql2/promise';
import { NxswError } from '@nxsw/core';
import type { ConnectOptions, DatabaseSpec, QueryOptions, SqlColumnKind, SqlConnection, SqlDriver, SqlResult } from '../driver.js';
import { withPassword } from '../spec.js';
import { abortable, guardedQuery, errText, NETWORK_CODES } from './util.js';
import { defaultOptionFiles, readOptionFiles } from './mysql-options.js';

/** where MariaDB and Debian's MySQL listen when no option file names a socket */
export const DEFAULT_MYSQL_SOCKET = '/run/mysqld/mysqld.sock';
const BINARY_CHARSET = 63;

interface Field { name: string; columnType?: number; columnLength?: number; characterSet?: number }

function kindOf(f: Field): SqlColumnKind {
  switch (f.columnType) {
    case 1: return f.columnLength === 1 ? 'bool' : 'int'; // TINYINT(1) is MySQL's BOOLEAN
    case 2: case 3: case 8: case 9: case 13: return 'int';
    case 4: case 5: return 'float';
    case 0: case 246: return 'decimal';
    case 7: case 10: case 11: case 12: case 14: return 'datetime';
    case 245: case 247: case 248: return 'string';
    case 249: case 250: case 251: case 252: case 253: case 254: return f.characterSet === BINARY_CHARSET ? 'bytes' : 'string';
    default: return 'other';
  }
}

// timeouts: MariaDB 1969, MySQL 3024, interrupted 1317
const TIMEOUT_ERRNOS = new Set([1969, 3024, 1317]);
// access denied, unknown database, too many connections, server shutting down / gone
const UNAVAILABLE_ERRNOS = new Set([1044, 1045, 1049, 1040, 1053, 2006, 2013, 1927, 1152, 1184]);

function classify(e: unknown): { error: NxswError; broken: boolean } {
  const err = e as { errno?: number; code?: string; fatal?: boolean; sqlState?: string };
  const msg = errText(e);
  if (err.errno !== undefined && TIMEOUT_ERRNOS.has(err.errno)) return { error: new NxswError('TIMEOUT', `the server stopped the query: ${msg}`, { cause: e }), broken: false };
  if (err.fatal || (err.code && NETWORK_CODES.has(err.code)) || (err.errno !== undefined && UNAVAILABLE_ERRNOS.has(err.errno)) || err.sqlState === undefined) {
    return { error: new NxswError('SOURCE_UNAVAILABLE', msg, { cause: e }), broken: true };
  }
  return { error: new NxswError('DATASOURCE_CONFIG', msg, { cause: e }), broken: false };
}

class MysqlConnection implements SqlConnection {
  #conn: mysql.Connection;
  #broken = false;
  #mariadb = false;
  #serverTimeout = -1;

  constructor(conn: mysql.Connection, private readonly options: mysql.ConnectionOptions) {
    this.#conn = conn;
    conn.on('error', () => { this.#broken = true; });
    conn.on('end', () => { this.#broken = true; });
  }

  get usable(): boolean {
    return !this.#broken;
  }

  async setReadOnly(): Promise<void> {
    try {
      const [rows] = await this.#conn.query({ sql: 'SELECT VERSION()', rowsAsArray: true });
      this.#mariadb = /mariadb/i.test(String((rows as unknown[][])[0]?.[0]));
      // every later transaction of the session, autocommit statements included, is read-only
      await this.#conn.query('SET SESSION TRANSACTION READ ONLY');
    } catch (e) {
      throw classify(e).error;
    }
  }

  async query(sql: string, { timeoutMs, signal }: QueryOptions): Promise<SqlResult> {
    const run = async (): Promise<SqlResult> => {
      const serverLimit = timeoutMs + 1000;
      if (this.#serverTimeout !== serverLimit) {
        // MariaDB limits every statement (seconds); MySQL only SELECTs (ms)
        await this.#conn.query(this.#mariadb ? `SET SESSION max_statement_time = ${serverLimit / 1000}` : `SET SESSION max_execution_time = ${serverLimit}`);
        this.#serverTimeout = serverLimit;
      }
      const [rows, fields] = await this.#conn.query({ sql, rowsAsArray: true });
      if (!Array.isArray(rows) || !fields) return { columns: [], rows: [] };
      return { columns: (fields as Field[]).map((f) => ({ name: f.name, kind: kindOf(f) })), rows: rows as unknown[][] };
    };
    return guardedQuery(run(), signal, () => this.#kill(), classify, () => this.#kill());
  }

  #kill(): void {
    if (!this.#broken) this.#stopOnServer();
    this.#broken = true;
    this.#conn.destroy();
  }

  /** KILL QUERY from a second connection: a dropped client's statement would otherwise run on */
  #stopOnServer(): void {
    const id = this.#conn.threadId;
    if (!id) return;
    mysql.createConnection(this.options)
      .then(async (c) => { try { await c.query(`KILL QUERY ${Number(id)}`); } finally { c.destroy(); } })
      .catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#broken) { this.#conn.destroy(); return; }
    this.#broken = true;
    await this.#conn.end().catch(() => this.#conn.destroy());
  }
}

export const mysqlDriver: SqlDriver = {
  kind: 'sql-driver',
  name: 'MYSQL',
  /**
   * The client library's defaults (the reference connects through it): what the element does not
   * give comes from the option files, then the login user, and `localhost` (the default host)
   * means the unix socket: the option files' `socket`, $MYSQL_UNIX_PORT, else the usual path.
   */
  prepare(spec: DatabaseSpec): DatabaseSpec {
    const cnf = spec.mycnf ? readOptionFiles([spec.mycnf], true) : readOptionFiles(defaultOptionFiles());
    const hostname = spec.hostname ?? cnf.host ?? 'localhost';
    const tcpPort = Number(process.env.MYSQL_TCP_PORT) || undefined;
    const { password: _p, ...fields } = spec;
    return withPassword({
      ...fields,
      user: spec.user ?? cnf.user ?? userInfo().username,
      hostname,
      port: spec.port ?? cnf.port ?? tcpPort,
      dbname: spec.dbname ?? cnf.database,
      socket: hostname === 'localhost' ? cnf.socket ?? process.env.MYSQL_UNIX_PORT ?? DEFAULT_MYSQL_SOCKET : undefined,
    }, spec.password() ?? cnf.password);
  },
  connectionKey(spec: DatabaseSpec): string {
    const at = spec.socket ?? `${spec.hostname ?? 'localhost'}:${spec.port ?? 3306}`;
    return `MYSQL ${spec.user ?? ''}@${at}/${spec.dbname ?? ''}`;
  },
  async connect(spec: DatabaseSpec, { connectTimeoutMs, signal }: ConnectOptions): Promise<SqlConnection> {
    const options: mysql.ConnectionOptions = {
      ...(spec.socket ? { socketPath: spec.socket } : { host: spec.hostname ?? 'localhost', port: spec.port ?? 3306 }),
      user: spec.user,
      password: spec.password(),
      database: spec.dbname,
      connectTimeout: connectTimeoutMs,
      charset: 'utf8mb4',
      multipleStatements: false,
      supportBigNumbers: true,
      bigNumberStrings: true, // BIGINT and DECIMAL as exact strings
      dateStrings: true, // DATETIME as written, not shifted through this process's zone
    };
    const opening = mysql.createConnection(options);
    try {
      const conn = await abortable(opening, signal, () => { opening.then((c) => c.destroy(), () => undefined); });
      return new MysqlConnection(conn, options);
    } catch (e) {
      if (e instanceof NxswError) throw e;
      throw new NxswError('SOURCE_UNAVAILABLE', `cannot connect: ${errText(e)}`, { cause: e });
    }
  },
};
