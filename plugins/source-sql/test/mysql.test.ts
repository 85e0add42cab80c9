import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NxValue } from '@nxsw/core';
import { serviceSkip } from '@nxsw/core/testkit';
import { DbSourceType, builtinDrivers } from '../src/index.js';
import { parseXml, readContext, reachable, closedPort, uniqueName, code, noNesting as env, checkFormats, checkPoolStable, checkRecoversAfterOutage } from './helpers.js';

const PORT = 3306;
const skip = serviceSkip('MariaDB/MySQL', await reachable(PORT), `127.0.0.1:${PORT}, user root without password`);
const dbname = uniqueName('nxsw_my');

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>, database?: string): Promise<T> {
  const c = await mysql.createConnection({ host: '127.0.0.1', port: PORT, user: 'root', database, multipleStatements: true, charset: 'utf8mb4' });
  try { return await fn(c); } finally { await c.end(); }
}

describe('MYSQL against a real server', { skip }, () => {
  // mycnf names an empty option file so that a machine's /etc/my.cnf cannot change the test
  const secretsDir = mkdtempSync(join(tmpdir(), 'nxsw-my-secrets-'));
  writeFileSync(join(secretsDir, 'empty.cnf'), '');
  const type = new DbSourceType({ findDriver: (n) => builtinDrivers.find((d) => d.name === n), poolSize: 3, idleTimeoutMs: 0, secrets: { secretsDir } });
  const source = (sql: string, format = 'SCALAR', extra = '', port = PORT, user = 'root') => type.create(parseXml(
    `<datasource type="DB"><database dbtype="MYSQL" dbname="${dbname}" hostname="127.0.0.1" port="${port}" user="${user}" mycnf="empty.cnf"/><query format="${format}"${extra}>${sql}</query></datasource>`), env);
  const read = (sql: string, format = 'SCALAR'): Promise<NxValue> => source(sql, format).read(readContext());

  before(async () => {
    await admin((c) => c.query(`CREATE DATABASE ${dbname} CHARACTER SET utf8mb4`));
    await admin((c) => c.query(`
      CREATE TABLE t (i INT, big BIGINT, ubig BIGINT UNSIGNED, num DECIMAL(10,3), dbl DOUBLE, s VARCHAR(40), b BOOLEAN, ts DATETIME(2), n INT);
      INSERT INTO t VALUES (1, 9007199254740993, 18446744073709551615, 1.250, 0.1, 'Ωmega ✓ 😀', TRUE, '2024-05-01 12:00:00', NULL),
                           (2, -9223372036854775808, 2, 2.500, 1e300, 'b', FALSE, '2024-05-02 13:30:00.25', NULL),
                           (3, 9223372036854775807, 3, 3.750, -2.5, 'c', TRUE, '2024-05-03 00:00:00', 7);`), dbname);
  });

  after(async () => {
    await type.dispose();
    rmSync(secretsDir, { recursive: true, force: true });
    await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbname}`));
  });

  test('formats: SCALAR, SPECTRUM (column / first row), IMAGE', async () => {
    await checkFormats(read, 'Ωmega ✓ 😀');
  });

  test('conversions: bigint, unsigned, decimal, double, text, boolean, datetime, counts, NULL', async () => {
    const big = await read('SELECT big FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([big.type, [...(big.data as BigInt64Array)]], ['int64', [9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]]);
    const ubig = await read('SELECT ubig FROM t ORDER BY i');
    assert.deepEqual([ubig.type, [...(ubig.data as BigUint64Array)]], ['uint64', [2n ** 64n - 1n]]);
    const num = await read('SELECT num FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([num.type, [...(num.data as Float64Array)]], ['float64', [1.25, 2.5, 3.75]]);
    const sum = await read('SELECT SUM(big) FROM t WHERE i &lt; 3');
    assert.deepEqual([sum.type, [...(sum.data as BigInt64Array)]], ['int64', [9007199254740993n - 2n ** 63n]]);
    const count = await read('SELECT COUNT(*) FROM t');
    assert.deepEqual([count.type, [...(count.data as BigInt64Array)]], ['int64', [3n]]);
    assert.deepEqual((await read('SELECT s FROM t ORDER BY i')).data, ['Ωmega ✓ 😀']);
    const b = await read('SELECT b FROM t ORDER BY i', 'SPECTRUM');
    assert.deepEqual([b.type, [...(b.data as Uint8Array)]], ['bool', [1, 0, 1]]);
    assert.deepEqual((await read('SELECT ts FROM t ORDER BY i', 'SPECTRUM')).data, ['2024-05-01T12:00:00.00', '2024-05-02T13:30:00.25', '2024-05-03T00:00:00.00']);
    await assert.rejects(read('SELECT n FROM t ORDER BY i'), code('DATA_NOT_FOUND', /NULL/));
    await assert.rejects(read('SELECT i FROM t WHERE i > 10'), code('DATA_NOT_FOUND', new RegExp(`^MYSQL DB ${dbname} with SELECT i FROM t WHERE i > 10: the query returned no rows`)));
  });

  test('bad SQL is DATASOURCE_CONFIG with the server message', async () => {
    await assert.rejects(read('SELECT i FROM nope'), code('DATASOURCE_CONFIG', /nope' doesn't exist/));
    await assert.rejects(read('SELEC 1'), code('DATASOURCE_CONFIG', /SQL syntax/));
  });

  test('read-only: UPDATE, DELETE, DDL and a piggy-backed statement fail and change nothing', async () => {
    await assert.rejects(read('UPDATE t SET i = 0'), code('DATASOURCE_CONFIG', /READ ONLY transaction/));
    await assert.rejects(read('DELETE FROM t'), code('DATASOURCE_CONFIG', /READ ONLY transaction/));
    await assert.rejects(read('DROP TABLE t'), code('DATASOURCE_CONFIG', /READ ONLY transaction/));
    await assert.rejects(read('SELECT 1; DELETE FROM t'), code('DATASOURCE_CONFIG', /SQL syntax/));
    const [rows] = await admin((c) => c.query('SELECT i FROM t ORDER BY i'), dbname);
    assert.deepEqual((rows as { i: number }[]).map((r) => r.i), [1, 2, 3]);
  });

  test('a query timeout gives TIMEOUT, the server stops the query, the pool keeps working', async () => {
    const slow = source('SELECT SLEEP(5)', 'SCALAR', ' timeout="300"');
    const t0 = Date.now();
    await assert.rejects(slow.read(readContext()), code('TIMEOUT', /timed out after 300 ms/));
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    let running = 1;
    for (let k = 0; k < 40 && running > 0; k++) {
      await new Promise((r) => setTimeout(r, 100));
      const [r] = await admin((c) => c.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ? AND INFO LIKE 'SELECT SLEEP(5)%'`, [dbname]));
      running = Number((r as { n: number }[])[0]!.n);
    }
    assert.equal(running, 0, 'the server stopped the abandoned query');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(source('SELECT SLEEP(5)').read(readContext(ac.signal)), code('TIMEOUT', /aborted/));
    assert.deepEqual([...((await read('SELECT 5')).data as BigInt64Array)], [5n]);
  });

  test('pooling: the number of server connections does not grow with reads', async () => {
    const sources = [source('SELECT i FROM t ORDER BY i'), source('SELECT s FROM t', 'SPECTRUM'), source('SELECT COUNT(*) FROM t')];
    await checkPoolStable(type, sources, dbname, PORT);
    await new Promise((r) => setTimeout(r, 200));
    const [r] = await admin((c) => c.query(`SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = ?`, [dbname]));
    assert.ok(Number((r as { n: number }[])[0]!.n) <= 3);
  });

  test('unreachable server and refused login are SOURCE_UNAVAILABLE', async () => {
    const port = await closedPort();
    await assert.rejects(source('SELECT 1', 'SCALAR', '', port).read(readContext()), code('SOURCE_UNAVAILABLE', new RegExp(`^MYSQL DB ${dbname} with SELECT 1: cannot connect: .*ECONNREFUSED`)));
    await assert.rejects(source('SELECT 1', 'SCALAR', '', PORT, 'no_such_user_nxsw').read(readContext()), code('SOURCE_UNAVAILABLE', /Access denied/));
  });

  test('recovery: killed connections and a server that was down are used again', async () => {
    const s = source('SELECT 42');
    await s.read(readContext());
    await admin(async (c) => {
      const [rows] = await c.query(`SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()`, [dbname]);
      for (const r of rows as { ID: number }[]) await c.query(`KILL ${Number(r.ID)}`).catch(() => undefined);
    });
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...((await s.read(readContext())).data as BigInt64Array)], [42n]);

    await checkRecoversAfterOutage((port) => source('SELECT 43', 'SCALAR', '', port), PORT);
  });
});
