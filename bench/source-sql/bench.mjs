// µs per SCALAR read of the DB datasource: pooled (this plugin) next to a new connection per read
// (the reference's way: connect, query, close), on PostgreSQL, MariaDB/MySQL and SQLite, same run.
// Usage: node bench/source-sql/bench.mjs [reads]   (after `npx tsc -b plugins/source-sql`)
// Servers: PostgreSQL 127.0.0.1:5432 (postgres, trust), MariaDB 127.0.0.1:3306 (root, no password);
// a missing server is skipped. Each run creates and drops its own database.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import pg from 'pg';
import mysql from 'mysql2/promise';
import Database from 'better-sqlite3';
import { DbSourceType, builtinDrivers } from '../../plugins/source-sql/dist/src/index.js';

const N = Number(process.argv[2] ?? 1000);
const NEW_N = Math.max(50, Math.floor(N / 5)); // new-connection reads are slow; fewer keep the run short
const name = `nxsw_bench_${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'nxsw-sqlbench-'));
const env = { createSource: () => { throw new Error('unused'); } };
const ctx = () => ({ phase: 'STEP', step: 1, globalJson: {}, localJson: undefined, signal: new AbortController().signal, shared: new Map(), file: undefined, decoder: () => { throw new Error('none'); } });
const findDriver = (n) => builtinDrivers.find((d) => d.name === n);

const reachable = (port) => new Promise((resolve) => {
  const s = net.connect({ port, host: '127.0.0.1' });
  s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  s.once('connect', () => { s.destroy(); resolve(true); });
  s.once('error', () => resolve(false));
});

const element = (db) => {
  // the XmlElement shape by hand: <datasource><database …/><query format="SCALAR">…</query></datasource>
  const loc = { line: 1, column: 1, path: '/datasource' };
  const ds = { name: 'datasource', attributes: { type: 'DB' }, children: [], text: '', location: loc, parent: undefined };
  ds.children.push({ name: 'database', attributes: db, children: [], text: '', location: loc, parent: ds });
  ds.children.push({ name: 'query', attributes: { format: 'SCALAR' }, children: [], text: 'SELECT v FROM bench WHERE id = 1', location: loc, parent: ds });
  return ds;
};

async function time(n, fn) {
  for (let i = 0; i < Math.min(20, n); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
}

async function measure(label, db) {
  const pooledType = new DbSourceType({ findDriver, idleTimeoutMs: 0 });
  const pooled = pooledType.create(element(db), env);
  const pooledUs = await time(N, () => pooled.read(ctx()));
  await pooledType.dispose();
  // the same source code path, but a fresh type (so a fresh connection) for every read, closed after it
  const freshUs = await time(NEW_N, async () => {
    const t = new DbSourceType({ findDriver, idleTimeoutMs: 0 });
    await t.create(element(db), env).read(ctx());
    await t.dispose();
  });
  return { label, pooledUs, freshUs };
}

const rows = [];
try {
  if (await reachable(5432)) {
    const admin = async (database, sql) => { const c = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database }); await c.connect(); try { await c.query(sql); } finally { await c.end(); } };
    await admin('postgres', `CREATE DATABASE ${name}`);
    try {
      await admin(name, 'CREATE TABLE bench (id int primary key, v double precision); INSERT INTO bench VALUES (1, 2.5)');
      rows.push(await measure('PGSQL (PostgreSQL)', { dbtype: 'PGSQL', hostname: '127.0.0.1', port: '5432', user: 'postgres', dbname: name }));
    } finally {
      await admin('postgres', `DROP DATABASE ${name} WITH (FORCE)`);
    }
  } else console.log('PostgreSQL not reachable: skipped');
  if (await reachable(3306)) {
    const c = await mysql.createConnection({ host: '127.0.0.1', port: 3306, user: 'root', multipleStatements: true });
    await c.query(`CREATE DATABASE ${name}; USE ${name}; CREATE TABLE bench (id INT PRIMARY KEY, v DOUBLE); INSERT INTO bench VALUES (1, 2.5);`);
    try {
      rows.push(await measure('MYSQL (MariaDB)', { dbtype: 'MYSQL', hostname: '127.0.0.1', port: '3306', user: 'root', dbname: name, mycnf: '/dev/null' }));
    } finally {
      await c.query(`DROP DATABASE ${name}`);
      await c.end();
    }
  } else console.log('MariaDB/MySQL not reachable: skipped');
  const file = join(dir, 'bench.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE bench (id INTEGER PRIMARY KEY, v REAL); INSERT INTO bench VALUES (1, 2.5);');
  db.close();
  rows.push(await measure('SQLITE (file)', { dbtype: 'SQLITE', dbname: file }));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`\nSCALAR read, µs per read (pooled: ${N} reads, new connection: ${NEW_N} reads); node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
console.log('| database | pooled (this plugin) | new connection per read | ratio |');
console.log('|---|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${r.pooledUs.toFixed(0)} | ${r.freshUs.toFixed(0)} | ${(r.freshUs / r.pooledUs).toFixed(1)}× |`);
