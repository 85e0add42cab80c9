/**
 * ORACLE: oracledb in thin mode (pure JS, no Oracle client libraries). The DSN is the
 * `<database>` text (an Easy Connect string, a TNS alias or a descriptor); without it one is built
 * from hostname, port and dbname (the service name). `mode` selects a privilege such as SYSDBA.
 * oracledb is loaded on first connect, so the other dbtypes work without it.
 */
import { NxswError } from '@nxsw/core';
import type { ConnectOptions, DatabaseSpec, QueryOptions, SqlColumnKind, SqlConnection, SqlDriver, SqlResult } from '../driver.js';
import { abortable, guardedQuery, errText } from './util.js';

/** privilege constants of oracledb (lib/constants.js), by the names the reference's `mode` uses */
export const ORACLE_PRIVILEGES: Readonly<Record<string, number>> = {
  SYSDBA: 0x2, SYSOPER: 0x4, SYSASM: 0x8000, SYSBACKUP: 0x20000, SYSDG: 0x40000, SYSKM: 0x80000, SYSRAC: 0x100000,
};

export interface OracleConnectOptions {
  user?: string;
  password?: string;
  connectString: string;
  privilege?: number;
  /** seconds (oracledb's unit) */
  connectTimeout: number;
}

/** The oracledb.getConnection() options for a spec (exported for tests: no Oracle server here). */
export function oracleConnectOptions(spec: DatabaseSpec, connectTimeoutMs: number): OracleConnectOptions {
  const connectString = spec.dsn ?? `${spec.hostname ?? 'localhost'}:${spec.port ?? 1521}/${spec.dbname ?? ''}`;
  let privilege: number | undefined;
  if (spec.mode !== undefined) {
    const m = spec.mode.trim().toUpperCase();
    privilege = /^\d+$/.test(m) ? Number(m) : ORACLE_PRIVILEGES[m];
    if (privilege === undefined) throw new Error(`unknown Oracle mode '${spec.mode}' (use ${Object.keys(ORACLE_PRIVILEGES).join(', ')} or a number)`);
    if (privilege === 0) privilege = undefined; // 0 is the default (no privilege)
  }
  return { user: spec.user, password: spec.password(), connectString, privilege, connectTimeout: Math.max(1, Math.ceil(connectTimeoutMs / 1000)) };
}

interface OraMeta { name: string; dbType?: { columnTypeName?: string }; dbTypeName?: string; precision?: number; scale?: number }
interface OraConnection {
  callTimeout: number;
  execute(sql: string, binds: unknown[], options: Record<string, unknown>): Promise<{ rows?: unknown[][]; metaData?: OraMeta[] }>;
  rollback(): Promise<void>;
  break(): Promise<void>;
  close(options?: { drop?: boolean }): Promise<void>;
}
interface OracleDb {
  getConnection(options: Record<string, unknown>): Promise<OraConnection>;
  OUT_FORMAT_ARRAY: number;
  STRING: unknown;
  BUFFER: unknown;
}

let loaded: Promise<OracleDb> | undefined;
async function loadOracle(): Promise<OracleDb> {
  // a specifier in a variable: oracledb has no bundled typings and is optional at run time
  const specifier = 'oracledb';
  loaded ??= import(specifier).then((m) => (m as { default?: OracleDb }).default ?? (m as unknown as OracleDb)).catch((e: unknown) => {
    loaded = undefined;
    throw new NxswError('SOURCE_UNAVAILABLE', `the oracledb package is not installed: ${errText(e)}`, { cause: e });
  });
  return loaded;
}

function typeName(m: OraMeta): string {
  return (m.dbType?.columnTypeName ?? m.dbTypeName ?? '').toUpperCase();
}

function kindOf(m: OraMeta): SqlColumnKind {
  const t = typeName(m);
  if (t === 'NUMBER' || t === 'FLOAT') return m.scale === 0 && (m.precision ?? 0) > 0 ? 'int' : 'decimal';
  if (t === 'BINARY_FLOAT' || t === 'BINARY_DOUBLE') return 'float';
  if (t === 'BINARY_INTEGER') return 'int';
  if (t === 'BOOLEAN') return 'bool';
  if (t === 'DATE' || t.startsWith('TIMESTAMP')) return 'datetime';
  if (t.includes('CHAR') || t.includes('CLOB') || t === 'LONG' || t === 'ROWID' || t === 'UROWID') return 'string';
  if (t === 'RAW' || t === 'BLOB' || t === 'LONG RAW') return 'bytes';
  return 'other';
}

// ORA-01013 user cancel; NJS-123 / DPI-1067 call timeout
const TIMEOUT_CODES = new Set(['ORA-01013', 'NJS-123', 'DPI-1067']);
// invalid login, account locked, listener / service problems, shutdown, lost contact
const UNAVAILABLE_ORA = /^ORA-(01017|28000|01033|01034|01089|03113|03114|03135|12\d\d\d)$/;

function classify(e: unknown): { error: NxswError; broken: boolean } {
  const code = (e as { code?: string }).code ?? '';
  const msg = errText(e);
  if (TIMEOUT_CODES.has(code)) return { error: new NxswError('TIMEOUT', msg, { cause: e }), broken: true };
  if (code.startsWith('ORA-') && !UNAVAILABLE_ORA.test(code)) return { error: new NxswError('DATASOURCE_CONFIG', msg, { cause: e }), broken: false };
  return { error: new NxswError('SOURCE_UNAVAILABLE', msg, { cause: e }), broken: true };
}

class OracleConnection implements SqlConnection {
  #broken = false;
  constructor(private readonly db: OracleDb, private readonly conn: OraConnection) {}

  get usable(): boolean {
    return !this.#broken;
  }

  async setReadOnly(): Promise<void> {
    // Oracle has no read-only session: each query runs in its own SET TRANSACTION READ ONLY
  }

  async query(sql: string, { timeoutMs, signal }: QueryOptions): Promise<SqlResult> {
    const run = async (): Promise<SqlResult> => {
      this.conn.callTimeout = timeoutMs + 1000;
      await this.conn.execute('SET TRANSACTION READ ONLY', [], {});
      try {
        const res = await this.conn.execute(sql, [], {
          outFormat: this.db.OUT_FORMAT_ARRAY,
          // NUMBER as text keeps every digit (converted exactly later); LOBs inline
          fetchTypeHandler: (m: OraMeta) => {
            const t = typeName(m);
            if (t === 'NUMBER' || t === 'FLOAT' || t.includes('CLOB')) return { type: this.db.STRING };
            if (t === 'BLOB') return { type: this.db.BUFFER };
            return undefined;
          },
        });
        const meta = res.metaData ?? [];
        return { columns: meta.map((m) => ({ name: m.name, kind: kindOf(m) })), rows: res.rows ?? [] };
      } finally {
        await this.conn.rollback().catch(() => undefined);
      }
    };
    return guardedQuery(run(), signal, () => { this.#broken = true; this.conn.break().catch(() => undefined); }, classify, () => { this.#broken = true; });
  }

  async close(): Promise<void> {
    this.#broken = true;
    await this.conn.close().catch(() => undefined);
  }
}

export const oracleDriver: SqlDriver = {
  kind: 'sql-driver',
  name: 'ORACLE',
  prepare(spec: DatabaseSpec): DatabaseSpec {
    oracleConnectOptions(spec, 1000); // checks mode
    if (!spec.dsn && !spec.hostname && !spec.dbname) throw new Error('ORACLE needs a DSN as the <database> text, or hostname and dbname');
    return spec;
  },
  connectionKey(spec: DatabaseSpec): string {
    return `ORACLE ${spec.user ?? ''}@${oracleConnectOptions(spec, 1000).connectString} mode=${spec.mode ?? ''}`;
  },
  async connect(spec: DatabaseSpec, { connectTimeoutMs, signal }: ConnectOptions): Promise<SqlConnection> {
    const db = await loadOracle();
    const opening = db.getConnection({ ...oracleConnectOptions(spec, connectTimeoutMs) });
    try {
      const conn = await abortable(opening, signal, () => { opening.then((c) => c.close(), () => undefined); });
      return new OracleConnection(db, conn);
    } catch (e) {
      if (e instanceof NxswError) throw e;
      throw new NxswError('SOURCE_UNAVAILABLE', `cannot connect: ${errText(e)}`, { cause: e });
    }
  },
};
