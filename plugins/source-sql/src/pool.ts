/**
 * A small connection pool, the same for every driver, so that a site's driver gets pooling,
 * read-only setup, idle closing and recovery without writing them.
 */
import { NxswError } from '@nxsw/core';
import type { DatabaseSpec, SqlConnection, SqlDriver } from './driver.js';

export interface PoolOptions {
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  /** idle connections older than this are closed; 0 keeps them */
  readonly idleTimeoutMs: number;
}

export interface Lease {
  readonly connection: SqlConnection;
  /** true when the connection was used before (it may have gone stale since) */
  readonly reused: boolean;
}

export class ConnectionPool {
  #idle: { conn: SqlConnection; since: number }[] = [];
  /** idle + in use + being opened */
  #count = 0;
  #waiters: (() => void)[] = [];
  #closed = false;
  #sweeper: NodeJS.Timeout | undefined;
  /** connections opened over the pool's life (for tests and statistics) */
  opened = 0;

  constructor(readonly driver: SqlDriver, readonly spec: DatabaseSpec, readonly options: PoolOptions) {
    if (options.idleTimeoutMs > 0) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.max(200, Math.floor(options.idleTimeoutMs / 2)));
      this.#sweeper.unref();
    }
  }

  /** connections open now (idle, in use or being opened) */
  get size(): number {
    return this.#count;
  }

  get idle(): number {
    return this.#idle.length;
  }

  async acquire(signal: AbortSignal): Promise<Lease> {
    for (;;) {
      if (this.#closed) throw new NxswError('SOURCE_UNAVAILABLE', 'the connection pool is closed');
      signal.throwIfAborted();
      while (this.#idle.length > 0) {
        const { conn } = this.#idle.pop()!;
        if (conn.usable) return { connection: conn, reused: true };
        this.#drop(conn);
      }
      if (this.#count < this.options.maxConnections) {
        this.#count++;
        try {
          return { connection: await this.#open(signal), reused: false };
        } catch (e) {
          this.#count--;
          this.#wake();
          throw e;
        }
      }
      await this.#waitForChange(signal);
    }
  }

  release(conn: SqlConnection): void {
    if (this.#closed || !conn.usable) this.#drop(conn);
    else {
      this.#idle.push({ conn, since: Date.now() });
      this.#wake();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#sweeper) clearInterval(this.#sweeper);
    const idle = this.#idle.splice(0);
    this.#count -= idle.length;
    for (const w of this.#waiters.splice(0)) w();
    await Promise.allSettled(idle.map((i) => i.conn.close()));
  }

  async #open(signal: AbortSignal): Promise<SqlConnection> {
    const conn = await this.driver.connect(this.spec, { connectTimeoutMs: this.options.connectTimeoutMs, signal });
    try {
      await conn.setReadOnly();
    } catch (e) {
      await conn.close().catch(() => undefined);
      throw e;
    }
    this.opened++;
    return conn;
  }

  #drop(conn: SqlConnection): void {
    this.#count--;
    conn.close().catch(() => undefined);
    this.#wake();
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }

  #waitForChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters = this.#waiters.filter((w) => w !== done);
        reject(signal.reason);
      };
      const done = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      this.#waiters.push(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  #sweep(): void {
    const limit = Date.now() - this.options.idleTimeoutMs;
    const keep = this.#idle.filter((i) => i.since >= limit && i.conn.usable);
    for (const i of this.#idle) if (!keep.includes(i)) this.#drop(i.conn);
    this.#idle = keep;
  }
}
