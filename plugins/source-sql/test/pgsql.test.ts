import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { NxValue } from '@nxsw/core';
import { serviceSkip } from '@nxsw/core/testkit';
import { DbSourceType, builtinDrivers } from '../src/index.js';
import { parseXml, readContext, reachable, closedPort, uniqueName, code, noNesting as env, checkFormats, checkPoolStable, checkRecoversAfterOutage } from './helpers.js';

const PORT = 5432;
const skip = serviceSkip('PostgreSQL', await reachable(PORT), `127.0.0.1:${PORT}, user postgres, trust auth`);
const dbname = uniqueName('nxsw_pg');

async function admin<T>(database: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ host: '127.0.0.1', port: PORT, user: 'postgres', database });
  await c.connect();
  try { return await fn(c); } finally { await c.end(); }
}

describe('PGSQL against a real server', { skip }, () => {
  const type = new DbSourceType({ findDriver: (n) => builtinDrivers.find((d) => d.name === n), poolSize: 3, idleTimeoutMs: 0 });
  const source = (sql: string, format = 'SCALAR', extra = '', port = PORT, user = 'postgres') => type.create(parseXml(
    `<datasource type="DB"><database dbtype="PGSQL" dbname="${dbname}" hostname="127.0.0.1" port="${port}" user="${user}"/><query format="${format}"${extra}>${sql}</query></datasource>`), env);
  const read = (sql: string, format = 'SCALAR'): Promise<NxValue> => source(sql, format).read(readContext());
  const backends = (): Promise<number> => admin('postgres', async (c) => Number((await c.query(
    `SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'nxsw'`, [dbname])).rows[0].n));

  before(async () => {
    await admin('postgres', (c) => c.query(`CREATE DATABASE ${dbname}`));
    await admin(dbname, (c) => c.query(`
      CREATE TABLE t (i integer, big bigint, num numeric(10,3), whole numeric(30,0), dbl double precision, s text, b boolean, ts timestamp, tz timestamptz, n integer);
      INSERT INTO t VALUES (1, 9007199254740993, 1.250, 123456789012345678, 0.1, 'Ωmega ✓', true, '2024-05-01 12:00:00', '2024-05-01 12:00:00+02', NULL),
                           (2, -9223372036854775808, 2.500, 2, 1e300, 'b', false, '2024-05-02 13:30:00.25', '2024-05-02 00:00:00Z', NULL),
                           (3, 9223372036854775807, 3.750, 3, -2.5, 'c', true, '2024-05-03 00:00:00', '2024-05-03 00:00:00Z', 7);`));
  });

  after(async () => {
    await type.dispose();
    await admin('postgres', (c) => c.query(`DROP DATABASE IF EXISTS ${dbname} WITH (FORCE)`));
  });

  test('formats: SCALAR, SPECTRUM (column / first row), IMAGE', async () => {
    await checkFormats(read, 'Ωmega ✓');
  });

  test('conversions: bigint, numeric, double, text, boolean, timestamps, counts, NULL', async () => {
    const big = await read('SELECT big FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([big.type, [...(big.data as BigInt64Array)]], ['int64', [9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]]);
    const num = await read('SELECT num FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([num.type, [...(num.data as Float64Array)]], ['float64', [1.25, 2.5, 3.75]]);
    const whole = await read('SELECT whole FROM t ORDER BY i');
    assert.deepEqual([whole.type, [...(whole.data as BigInt64Array)]], ['int64', [123456789012345678n]]);
    const sum = await read('SELECT sum(big) FROM t WHERE i &lt; 3');
    assert.deepEqual([sum.type, [...(sum.data as BigInt64Array)]], ['int64', [9007199254740993n - 2n ** 63n]]);
    const count = await read('SELECT count(*) FROM t');
    assert.deepEqual([count.type, [...(count.data as BigInt64Array)]], ['int64', [3n]]);
    assert.deepEqual((await read('SELECT s FROM t ORDER BY i')).data, ['Ωmega ✓']);
    const b = await read('SELECT b FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([b.type, [...(b.data as Uint8Array)]], ['bool', [1, 0, 1]]);
    assert.deepEqual((await read('SELECT ts FROM t ORDER BY i', 'SPECTRUM')).data, ['2024-05-01T12:00:00', '2024-05-02T13:30:00.25', '2024-05-03T00:00:00']);
    const tz = (await read('SELECT tz FROM t ORDER BY i')).data as string[];
    assert.match(tz[0]!, /^2024-05-01T\d\d:00:00[+-]\d\d:\d\d$/);
    assert.equal(Date.parse(tz[0]!), Date.parse('2024-05-01T10:00:00Z'));
    await assert.rejects(read('SELECT n FROM t ORDER BY i'), code('DATA_NOT_FOUND', /NULL/));
    await assert.rejects(read('SELECT i FROM t WHERE i > 10'), code('DATA_NOT_FOUND', new RegExp(`^PGSQL DB ${dbname} with SELECT i FROM t WHERE i > 10: the query returned no rows`)));
  });

  test('bad SQL is DATASOURCE_CONFIG with the server message', async () => {
    await assert.rejects(read('SELECT i FROM nope'), code('DATASOURCE_CONFIG', /relation "nope" does not exist/));
  });

  test('read-only: UPDATE, DELETE, DDL and a piggy-backed statement fail and change nothing', async () => {
    await assert.rejects(read('UPDATE t SET i = 0 RETURNING i'), code('DATASOURCE_CONFIG', /read-only transaction/));
    await assert.rejects(read('DELETE FROM t'), code('DATASOURCE_CONFIG', /read-only transaction/));
    await assert.rejects(read('DROP TABLE t'), code('DATASOURCE_CONFIG', /read-only transaction/));
    await assert.rejects(read('SELECT 1; DELETE FROM t'), code('DATASOURCE_CONFIG', /multiple commands/));
    const rows = await admin(dbname, (c) => c.query('SELECT i FROM t ORDER BY i'));
    assert.deepEqual(rows.rows.map((r) => r.i), [1, 2, 3]);
  });

  test('a query timeout gives TIMEOUT, the server stops the query, the pool keeps working', async () => {
    const slow = source('SELECT pg_sleep(5)', 'SCALAR', ' timeout="300"');
    const t0 = Date.now();
    await assert.rejects(slow.read(readContext()), code('TIMEOUT', /timed out after 300 ms/));
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    // the server-side limit (timeout + 1 s) ends the abandoned statement
    let running = 1;
    for (let k = 0; k < 40 && running > 0; k++) {
      await new Promise((r) => setTimeout(r, 100));
      running = await admin('postgres', async (c) => Number((await c.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(5)%' AND state = 'active'`, [dbname])).rows[0].n));
    }
    assert.equal(running, 0);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(source('SELECT pg_sleep(5)').read(readContext(ac.signal)), code('TIMEOUT', /aborted/));
    assert.deepEqual([...((await read('SELECT 5')).data as BigInt64Array)], [5n]);
  });

  test('pooling: the number of server connections does not grow with reads', async () => {
    const sources = [source('SELECT i FROM t ORDER BY i'), source('SELECT s FROM t', 'SPECTRUM'), source('SELECT count(*) FROM t')];
    await checkPoolStable(type, sources, dbname, PORT);
    assert.ok((await backends()) <= 3);
  });

  test('unreachable server and refused login are SOURCE_UNAVAILABLE', async () => {
    const port = await closedPort();
    await assert.rejects(source('SELECT 1', 'SCALAR', '', port).read(readContext()), code('SOURCE_UNAVAILABLE', new RegExp(`^PGSQL DB ${dbname} with SELECT 1: cannot connect: .*ECONNREFUSED`)));
    await assert.rejects(source('SELECT 1', 'SCALAR', '', PORT, 'no_such_role_nxsw').read(readContext()), code('SOURCE_UNAVAILABLE', /no_such_role_nxsw/));
  });

  test('recovery: terminated backends and a server that was down are used again', async () => {
    const s = source('SELECT 42');
    await s.read(readContext());
    await admin('postgres', (c) => c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'nxsw'`, [dbname]));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...((await s.read(readContext())).data as BigInt64Array)], [42n]);

    await checkRecoversAfterOutage((port) => source('SELECT 43', 'SCALAR', '', port), PORT);
  });
});
