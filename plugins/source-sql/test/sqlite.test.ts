import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { Kernel, type DataSourceType, type NxValue } from '@nxsw/core';
import { DbSourceType, builtinDrivers } from '../src/index.js';
import { parseXml, readContext, code, noNesting as env } from './helpers.js';

let dir = '';
let file = '';
const type = new DbSourceType({ findDriver: (n) => builtinDrivers.find((d) => d.name === n), idleTimeoutMs: 0 });

function source(sql: string, format = 'SCALAR', dbname = file) {
  return type.create(parseXml(`<datasource type="DB"><database dbtype="SQLITE" dbname="${dbname}"/><query format="${format}">${sql}</query></datasource>`), env);
}
const read = (sql: string, format = 'SCALAR'): Promise<NxValue> => source(sql, format).read(readContext());

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'nxsw-sqlite-'));
  file = join(dir, 'test.sqlite');
  const db = new Database(file);
  db.exec(`CREATE TABLE t (i INTEGER, big INTEGER, r REAL, d DECIMAL(10,3), s TEXT, b BOOLEAN, ts TIMESTAMP, n INTEGER);
    INSERT INTO t VALUES (1, 9007199254740993, 1.5, 1.25, 'Ωmega ✓', 1, '2024-05-01 12:00:00', NULL);
    INSERT INTO t VALUES (2, -9223372036854775808, 2.5, 2.5, 'b', 0, '2024-05-02 13:30:00', NULL);
    INSERT INTO t VALUES (3, 9223372036854775807, 3.5, 3.75, 'c', 1, '2024-05-03 00:00:00', 7);`);
  db.close();
});

after(async () => {
  await type.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('SQLITE formats: SCALAR, SPECTRUM (column / first row), IMAGE', async () => {
  const s = await read('SELECT i FROM t ORDER BY i');
  assert.deepEqual([s.type, s.shape, [...(s.data as BigInt64Array)]], ['int64', [], [1n]]);
  const col = await read('SELECT r FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([col.type, col.shape, [...(col.data as Float64Array)]], ['float64', [3], [1.5, 2.5, 3.5]]);
  const row = await read('SELECT i, r FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([row.type, row.shape, [...(row.data as Float64Array)]], ['float64', [2], [1, 1.5]]);
  const img = await read('SELECT i, i * 10 FROM t ORDER BY i', 'IMAGE');
  assert.deepEqual([img.type, img.shape, [...(img.data as BigInt64Array)]], ['int64', [3, 2], [1n, 10n, 2n, 20n, 3n, 30n]]);
  const dup = await read('SELECT s, s FROM t ORDER BY i', 'IMAGE');
  assert.deepEqual([dup.shape, dup.data], [[3, 2], ['Ωmega ✓', 'Ωmega ✓', 'b', 'b', 'c', 'c']], 'duplicate column names keep both columns');
});

test('SQLITE conversions: 64-bit exact, text, unicode, boolean, timestamp, decimal, NULL', async () => {
  const big = await read('SELECT big FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([big.type, [...(big.data as BigInt64Array)]], ['int64', [9007199254740993n, -(2n ** 63n), 2n ** 63n - 1n]]);
  assert.deepEqual((await read('SELECT s FROM t ORDER BY i')).data, ['Ωmega ✓']);
  const b = await read('SELECT b FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([b.type, [...(b.data as Uint8Array)]], ['bool', [1, 0, 1]]);
  assert.deepEqual((await read('SELECT ts FROM t ORDER BY i', 'SPECTRUM')).data, ['2024-05-01T12:00:00', '2024-05-02T13:30:00', '2024-05-03T00:00:00']);
  const d = await read('SELECT d FROM t ORDER BY i', 'SPECTRUM');
  assert.deepEqual([d.type, [...(d.data as Float64Array)]], ['float64', [1.25, 2.5, 3.75]]);
  const count = await read('SELECT COUNT(*) FROM t');
  assert.deepEqual([count.type, [...(count.data as BigInt64Array)]], ['int64', [3n]]);
  const n = await read('SELECT n FROM t ORDER BY i', 'SPECTRUM');
  assert.equal(n.type, 'float64');
  assert.ok(Number.isNaN((n.data as Float64Array)[0]) && (n.data as Float64Array)[2] === 7);
  await assert.rejects(read('SELECT n FROM t ORDER BY i'), code('DATA_NOT_FOUND', /NULL/));
});

test('SQLITE errors: empty result, bad SQL, missing file', async () => {
  await assert.rejects(read('SELECT i FROM t WHERE i > 100'), code('DATA_NOT_FOUND', /^SQLITE DB .* with SELECT i FROM t WHERE i > 100: the query returned no rows/));
  await assert.rejects(read('SELECT nope FROM t'), code('DATASOURCE_CONFIG', /no such column: nope/));
  await assert.rejects(source('SELECT 1', 'SCALAR', join(dir, 'missing.sqlite')).read(readContext()), code('SOURCE_UNAVAILABLE', /missing\.sqlite/));
});

test('SQLITE is opened read-only: UPDATE and DELETE fail and change nothing', async () => {
  await assert.rejects(read('UPDATE t SET i = 0'), code('DATASOURCE_CONFIG', /no result set/));
  await assert.rejects(read('UPDATE t SET i = 0 RETURNING i'), code('DATASOURCE_CONFIG', /readonly/));
  await assert.rejects(read('DELETE FROM t RETURNING i'), code('DATASOURCE_CONFIG', /readonly/));
  const check = new Database(file, { readonly: true });
  assert.deepEqual(check.prepare('SELECT i FROM t ORDER BY i').pluck().all(), [1, 2, 3]);
  check.close();
});

test('SQLITE pooling: one connection for many reads and sources', async () => {
  const a = source('SELECT i FROM t ORDER BY i');
  const b = source('SELECT r FROM t ORDER BY i', 'SPECTRUM');
  for (let k = 0; k < 50; k++) await (k % 2 ? a : b).read(readContext());
  const pool = [...type.pools.values()].find((p) => p.spec.dbname === file)!;
  assert.equal(pool.opened, 1);
  assert.equal(pool.size, 1);
});

test('loaded by the kernel: options reach the DB type, drivers are found, stop() closes the pools', async () => {
  const dir = fileURLToPath(new URL('../../', import.meta.url));
  const kernel = await Kernel.start({ cwd: dir, plugins: [dir], discoverInstalled: false, pluginOptions: { '@nxsw/source-sql': { timeoutMs: 2500, poolSize: 2 } } });
  try {
    assert.deepEqual(kernel.plugins.map((p) => [p.name, p.status]), [['@nxsw/source-sql', 'loaded']]);
    assert.deepEqual(kernel.names('sql-driver').sort(), ['MYSQL', 'ORACLE', 'PGSQL', 'SQLITE']);
    const db = kernel.find<DataSourceType & { pools: ReadonlyMap<string, { size: number }> }>('datasource', 'DB')!;
    assert.equal(db.defaultTimeoutMs, 2500);
    const s = db.create(parseXml(`<datasource type="DB"><database dbtype="SQLITE" dbname="${file}"/><query format="SCALAR">SELECT max(i) FROM t</query></datasource>`), env);
    assert.deepEqual([...((await s.read(readContext())).data as BigInt64Array)], [3n]);
    const pool = [...db.pools.values()][0]!;
    assert.equal(pool.size, 1);
    await kernel.stop();
    assert.equal(pool.size, 0, 'the connection was closed');
  } finally {
    await kernel.stop();
  }
});
