/** The DB datasource type: `<datasource type="DB"><database …/><query format=…>SQL</query></datasource>`. */
import { createHash } from 'node:crypto';
import { ConfigError, NxswError, childElement, redactSecrets, type DataSource, type DataSourceType, type Logger, type NxValue, type ReadContext, type SourceEnvironment, type XmlElement } from '@nxsw/core';
import type { DatabaseSpec, SqlDriver } from './driver.js';
import { SQL_DRIVER_KIND } from './driver.js';
import { resultToValue, type QueryFormat } from './convert.js';
import { ConnectionPool, type PoolOptions } from './pool.js';
import { parseDatabase, scrub, type SecretsPolicy } from './spec.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const FORMATS: readonly QueryFormat[] = ['SCALAR', 'SPECTRUM', 'IMAGE'];

export interface DbSourceOptions {
  /** finds a `sql-driver` extension by dbtype (the plugin passes the kernel's lookup) */
  findDriver(dbtype: string): SqlDriver | undefined;
  timeoutMs?: number;
  poolSize?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** where passwd_file, mycnf and passwd_env may take passwords from (the server's configuration) */
  secrets?: SecretsPolicy;
  log?: Logger;
}

export class DbSourceType implements DataSourceType {
  readonly kind = 'datasource' as const;
  readonly name = 'DB';
  readonly defaultTimeoutMs: number;
  readonly #pools = new Map<string, ConnectionPool>();
  readonly #poolOptions: PoolOptions;

  constructor(readonly options: DbSourceOptions) {
    this.defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#poolOptions = {
      maxConnections: options.poolSize ?? 4,
      connectTimeoutMs: options.connectTimeoutMs ?? 5000,
      idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    };
  }

  create(element: XmlElement, _env?: SourceEnvironment): DbSource {
    const fail = (msg: string, at: XmlElement = element): never => { throw new ConfigError('DATASOURCE_CONFIG', msg, at.location); };
    const db = childElement(element, 'database');
    const q = childElement(element, 'query');
    const sql = q?.text.trim() ?? '';
    const format = q?.attributes.format?.trim().toUpperCase();
    if (!q || sql === '' || !format) fail('Database query or its format not defined');
    if (!FORMATS.includes(format as QueryFormat)) fail(`unknown query format '${q!.attributes.format}' (use SCALAR, SPECTRUM or IMAGE)`, q);
    if (!db) fail('Database connection (<database>) not defined');
    let timeoutMs = this.defaultTimeoutMs;
    const t = q!.attributes.timeout;
    if (t !== undefined) {
      timeoutMs = Number(t.trim());
      if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail(`invalid query timeout '${t}' (a positive number of milliseconds)`, q);
    }
    let spec: DatabaseSpec;
    let driver: SqlDriver | undefined;
    try {
      spec = parseDatabase(db!.attributes, db!.text, process.env, this.options.secrets);
      driver = this.options.findDriver(spec.dbtype) ?? this.options.findDriver(spec.dbtype.toUpperCase());
      if (!driver) fail(`no sql-driver for dbtype '${spec.dbtype}' is installed`, db);
      spec = driver!.prepare?.(spec) ?? spec;
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      return fail(`Database configuration: ${(e as Error).message}`, db);
    }
    return new DbSource(this, driver!, spec, sql, format as QueryFormat, timeoutMs);
  }

  /** the shared pool for a connection description, created on first use */
  pool(driver: SqlDriver, spec: DatabaseSpec): ConnectionPool {
    // equal descriptions with different passwords must not share connections: key on a hash
    const pw = spec.password();
    const key = `${driver.connectionKey(spec)} #${pw === undefined ? '-' : createHash('sha256').update(pw).digest('hex').slice(0, 16)}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new ConnectionPool(driver, spec, this.#poolOptions);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** pools by connection key (for tests and diagnostics; keys hold no password) */
  get pools(): ReadonlyMap<string, ConnectionPool> {
    return this.#pools;
  }

  async dispose(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((p) => p.close()));
  }
}

export class DbSource implements DataSource {
  readonly #description: string;

  constructor(
    private readonly type: DbSourceType,
    readonly driver: SqlDriver,
    readonly spec: DatabaseSpec,
    readonly sql: string,
    readonly format: QueryFormat,
    readonly timeoutMs: number,
  ) {
    const where = spec.dbname ?? spec.dsn ?? spec.hostname ?? '';
    this.#description = redactSecrets(`${spec.dbtype} DB ${where} with ${sql.replace(/\s+/g, ' ')}`);
  }

  describe(): string {
    return this.#description;
  }

  async read(ctx: ReadContext): Promise<NxValue> {
    const limit = AbortSignal.timeout(this.timeoutMs);
    const signal = AbortSignal.any([ctx.signal, limit]);
    const pool = this.type.pool(this.driver, this.spec);
    try {
      // a pooled connection may have died since its last use (server restart): one retry on a fresh one
      for (let attempt = 0; ; attempt++) {
        const { connection, reused } = await pool.acquire(signal);
        try {
          const result = await connection.query(this.sql, { timeoutMs: this.timeoutMs, signal });
          return resultToValue(result, this.format);
        } catch (e) {
          if (!(reused && attempt === 0 && e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE' && !signal.aborted)) throw e;
        } finally {
          pool.release(connection);
        }
      }
    } catch (e) {
      throw this.#error(e, signal, limit);
    }
  }

  #error(e: unknown, signal: AbortSignal, limit: AbortSignal): NxswError {
    let code = e instanceof NxswError ? e.code : 'SOURCE_UNAVAILABLE';
    let msg = e instanceof Error ? e.message : String(e);
    if (signal.aborted && code !== 'DATA_NOT_FOUND' && code !== 'VALUE_INVALID') {
      code = 'TIMEOUT';
      msg = limit.aborted ? `query timed out after ${this.timeoutMs} ms` : 'read aborted (the element time limit is over)';
    }
    return new NxswError(code, `${this.#description}: ${redactSecrets(scrub(msg, this.spec.password()))}`, { cause: e });
  }
}

// the kind name is part of the public contract; re-exported for site drivers
export { SQL_DRIVER_KIND };
