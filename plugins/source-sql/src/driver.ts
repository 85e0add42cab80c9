/**
 * The `sql-driver` extension contract. One driver per `<database dbtype=…>`; the DB datasource
 * looks drivers up through the kernel, so a site adds a database by providing another driver.
 * The DB datasource owns pooling, timeouts and value conversion; a driver only opens connections,
 * makes them read-only and runs one query.
 */
import type { ExtensionBase } from '@nxsw/core';

export const SQL_DRIVER_KIND = 'sql-driver';

/** The parsed `<database>` element, with credentials already resolved. */
export interface DatabaseSpec {
  /** the dbtype attribute as written, e.g. MYSQL */
  readonly dbtype: string;
  readonly dbname?: string;
  readonly hostname?: string;
  readonly port?: number;
  readonly user?: string;
  /** MySQL option file */
  readonly mycnf?: string;
  /** MySQL unix socket (a `localhost` connection; filled in by the driver) */
  readonly socket?: string;
  /** Oracle connection mode (SYSDBA, ...) */
  readonly mode?: string;
  /** the element's text, trimmed (the Oracle DSN); undefined when empty */
  readonly dsn?: string;
  /** every attribute as written except the password ones, for site drivers */
  readonly attributes: Readonly<Record<string, string>>;
  /** a function, not a field, so that the password never shows up when a spec is logged or serialised */
  password(): string | undefined;
}

/**
 * How a column's values are to be read. Drivers map their column metadata onto these; the DB
 * datasource converts values accordingly (e.g. a 'decimal' string '12' becomes an exact int64,
 * '1.250' a float64, while a 'string' column with '12' stays a string).
 */
export type SqlColumnKind = 'int' | 'float' | 'decimal' | 'bool' | 'string' | 'datetime' | 'bytes' | 'other';

export interface SqlColumn {
  readonly name: string;
  readonly kind: SqlColumnKind;
}

export interface SqlResult {
  /** empty when the statement returned no result set (it was not a query) */
  readonly columns: readonly SqlColumn[];
  /**
   * rows as arrays in column order. Cells: null, boolean, number, bigint (integers beyond 2^53
   * must be bigint or decimal strings, never a rounded number), string, Date or Uint8Array.
   */
  readonly rows: readonly (readonly unknown[])[];
}

export interface QueryOptions {
  /** the query's time limit; a driver should also set it on the server so a runaway query stops there */
  readonly timeoutMs: number;
  /** aborted at the time limit or when the engine gives up; the driver must reject promptly then */
  readonly signal: AbortSignal;
}

/**
 * One open connection. Errors must be NxswErrors with code SOURCE_UNAVAILABLE (the connection or
 * server failed: the pool drops the connection and the read may be retried on a fresh one),
 * TIMEOUT, or DATASOURCE_CONFIG (the SQL was rejected; the message is the server's).
 */
export interface SqlConnection {
  /** false once the connection is known to be broken; the pool then closes and drops it */
  readonly usable: boolean;
  /** makes the session read-only; called once, right after connect, before any query */
  setReadOnly(): Promise<void>;
  query(sql: string, options: QueryOptions): Promise<SqlResult>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly connectTimeoutMs: number;
  readonly signal: AbortSignal;
}

export interface SqlDriver extends ExtensionBase {
  readonly kind: 'sql-driver';
  /** the dbtype it serves, e.g. 'PGSQL' */
  readonly name: string;
  /**
   * Completes and checks a spec when a datasource is created (reads option files, applies
   * defaults). Throws an Error whose message explains a bad configuration.
   */
  prepare?(spec: DatabaseSpec): DatabaseSpec;
  /**
   * Connections of specs with equal keys share a pool. It must identify server, database and user,
   * and must not contain the password in clear (the DB type adds a hash of it).
   */
  connectionKey(spec: DatabaseSpec): string;
  /** opens one connection (no read-only setup yet); SOURCE_UNAVAILABLE when it cannot */
  connect(spec: DatabaseSpec, options: ConnectOptions): Promise<SqlConnection>;
}
