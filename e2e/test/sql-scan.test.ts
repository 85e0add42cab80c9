// A whole `nxsw write` whose configuration mixes CLIENT and DB sources on the real PostgreSQL and
// MariaDB servers (and a canfail source on a server that is down), checked with h5py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { REPO, tempDir } from './scan.js';

async function reachable(fn: () => Promise<unknown>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch {
    return false;
  }
}

const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const MY = { host: '127.0.0.1', port: 3306, user: 'root' };
const pgUp = await reachable(async () => { const c = new pg.Client(PG); await c.connect(); await c.end(); });
const myUp = await reachable(async () => { const c = await mysql.createConnection(MY); await c.end(); });
const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || serviceSkip('PostgreSQL', pgUp, 'a server on 127.0.0.1:5432 with trust authentication')
  || serviceSkip('MariaDB', myUp, 'a server on 127.0.0.1:3306, root without a password');

test('nxsw write with CLIENT, PGSQL and MYSQL sources, one of them on a server that is down', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  const dbName = `nxsw_e2e_${process.pid}`;
  const admin = new pg.Client(PG);
  await admin.connect();
  const my = await mysql.createConnection(MY);
  try {
    await admin.query(`CREATE DATABASE ${dbName}`);
    const c = new pg.Client({ ...PG, database: dbName });
    await c.connect();
    await c.query("CREATE TABLE proposal (id int, title text, budget bigint); INSERT INTO proposal VALUES (1, 'Ünïcode ✓ study', 9007199254740993)");
    await c.end();
    await my.query(`CREATE DATABASE ${dbName}`);
    await my.query(`CREATE TABLE ${dbName}.motors (name varchar(20), pos double)`);
    await my.query(`INSERT INTO ${dbName}.motors VALUES ('m1', 1.5), ('m2', 2.5), ('m3', 3.5)`);

    const cfg = join(t.dir, 'mixed.xml');
    writeFileSync(cfg, `<definition><group type="NXentry" name="entry">
  <field name="title" type="NX_CHAR"><strategy mode="INIT"/><datasource type="DB"><database dbtype="PGSQL" dbname="${dbName}" hostname="127.0.0.1" port="5432" user="postgres" passwd="not-needed"/><query format="SCALAR">SELECT title FROM proposal WHERE id = 1</query></datasource></field>
  <field name="budget" type="NX_INT64"><strategy mode="FINAL"/><datasource type="DB"><database dbtype="PGSQL" dbname="${dbName}" hostname="127.0.0.1" user="postgres"/><query format="SCALAR">SELECT budget FROM proposal</query></datasource></field>
  <field name="motors" type="NX_FLOAT"><dimensions rank="1"/><strategy mode="STEP"/><datasource type="DB"><database dbtype="MYSQL" dbname="${dbName}" hostname="127.0.0.1" port="3306" user="root"/><query format="SPECTRUM">SELECT pos FROM motors ORDER BY name</query></datasource></field>
  <field name="offline" type="NX_FLOAT"><strategy mode="STEP" canfail="true"/><datasource type="DB"><database dbtype="PGSQL" dbname="x" hostname="127.0.0.1" port="9" user="postgres"/><query format="SCALAR">SELECT 1</query></datasource></field>
  <field name="x" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="CLIENT"><record name="x"/></datasource></field>
</group></definition>`);
    const recs = join(t.dir, 'r.jsonl');
    writeFileSync(recs, '{"data":{"x":1}}\n{"data":{"x":2}}\n');
    const out = join(t.dir, 'mixed.nxs');
    const r = spawnSync(process.execPath, ['--no-node-snapshot', join(REPO, 'core/dist/src/cli/main.js'), 'write', cfg, '--output', out, '--records', recs], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const h = readWithH5py(out);
    assert.equal(h5get(h, 'entry/title').value, 'Ünïcode ✓ study');
    assert.deepEqual(h5get(h, 'entry/budget').value, ['9007199254740993']);
    assert.deepEqual(h5get(h, 'entry/motors').value, [[1.5, 2.5, 3.5], [1.5, 2.5, 3.5]]);
    assert.deepEqual(h5get(h, 'entry/x').value, [1, 2]);
    const offline = h5get(h, 'entry/offline');
    assert.deepEqual(offline.value, [1.7976931348623157e308, 1.7976931348623157e308]);
    assert.equal(offline.attrs.nexdatas_canfail!.value, 'FAILED');
    const source = String(h5get(h, 'entry/title').attrs.nexdatas_source!.value);
    assert.match(source, /passwd="\*\*\*"/);
    assert.doesNotMatch(source, /not-needed/);
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    await my.query(`DROP DATABASE IF EXISTS ${dbName}`).catch(() => undefined);
    await my.end();
    t.cleanup();
  }
});

test('passwords stay on the server: none in the written file (logged XML, nexdatas_source, canfail errors); passwd_env and passwd_file only as the server configuration allows', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  const dbName = `nxsw_e2e_pw_${process.pid}`;
  const user = `nxsw_pw_${process.pid}`;
  const inline = `Inline_${process.pid}_S3cret`;
  const fromEnv = `Env_${process.pid}_S3cret`;
  const envName = `NXSW_E2E_PW_${process.pid}`;
  const my = await mysql.createConnection(MY);
  try {
    await my.query(`CREATE DATABASE ${dbName}`);
    await my.query(`CREATE TABLE ${dbName}.v (x double)`);
    await my.query(`INSERT INTO ${dbName}.v VALUES (2.5)`);
    await my.query(`CREATE USER '${user}'@'%' IDENTIFIED BY '${inline}'`);
    await my.query(`CREATE USER '${user}_e'@'%' IDENTIFIED BY '${fromEnv}'`);
    await my.query(`GRANT SELECT ON ${dbName}.* TO '${user}'@'%', '${user}_e'@'%'`);
    const db = (auth: string, port = 3306, u = user) => `<database dbtype="MYSQL" dbname="${dbName}" hostname="127.0.0.1" port="${port}" user="${u}" ${auth}/>`;
    const cfg = join(t.dir, 'pw.xml');
    writeFileSync(cfg, `<definition><group type="NXentry" name="entry">
  <field name="inline" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="DB">${db(`passwd="${inline}"`)}<query format="SCALAR">SELECT x FROM v</query></datasource></field>
  <field name="env" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="DB">${db(`passwd_env="${envName}"`, 3306, `${user}_e`)}<query format="SCALAR">SELECT x FROM v</query></datasource></field>
  <field name="down" type="NX_FLOAT"><strategy mode="STEP" canfail="true"/><datasource type="DB"><database dbtype="PGSQL" dbname="x" hostname="127.0.0.1" port="9" user="postgres" passwd="${inline}"/><query format="SCALAR">SELECT 1</query></datasource></field>
  <field name="pg" type="NX_CHAR"><strategy mode="INIT"/><datasource type="DB"><database dbtype="PGSQL" dbname="postgres" hostname="127.0.0.1" user="postgres" passwd="${inline}"/><query format="SCALAR">SELECT 'ok'</query></datasource></field>
</group></definition>`);
    const recs = join(t.dir, 'r.jsonl');
    writeFileSync(recs, '{"data":{}}\n{"data":{}}\n');
    mkdirSync(join(t.dir, 'secrets'));
    const server = join(t.dir, 'server.json');
    writeFileSync(server, JSON.stringify({ pluginOptions: { '@nxsw/source-sql': { passwordEnvNames: [envName], secretsDir: join(t.dir, 'secrets') } } }));
    const write = (config: string, out: string, extra: string[] = []) => spawnSync(process.execPath, ['--no-node-snapshot', join(REPO, 'core/dist/src/cli/main.js'), 'write', config, '--output', out, '--records', recs, ...extra], {
      encoding: 'utf8', env: { ...process.env, [envName]: fromEnv },
    });

    // without the server's permission, passwd_env is refused before anything is written
    const refused = write(cfg, join(t.dir, 'refused.nxs'));
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, new RegExp(`passwd_env ${envName} is refused: .*"passwordEnvNames"`));
    assert.ok(!refused.stderr.includes(inline) && !refused.stderr.includes(fromEnv));

    const out = join(t.dir, 'pw.nxs');
    const r = write(cfg, out, ['--config', server]);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(!r.stdout.includes(inline) && !r.stderr.includes(inline), 'nothing printed holds the password');
    const h = readWithH5py(out);
    assert.deepEqual(h5get(h, 'entry/inline').value, [2.5, 2.5], 'the password reached the database');
    assert.deepEqual(h5get(h, 'entry/env').value, [2.5, 2.5]);
    const logged = String(h5get(h, 'nexus_logs/configuration/nexus__entry__1_xml').value);
    assert.match(logged, /passwd="\*\*\*"/);
    assert.match(logged, new RegExp(`passwd_env="${envName}"`));
    const source = String(h5get(h, 'entry/inline').attrs.nexdatas_source!.value);
    assert.match(source, /passwd="\*\*\*"/);
    assert.equal(h5get(h, 'entry/down').attrs.nexdatas_canfail!.value, 'FAILED');
    const bytes = readFileSync(out);
    for (const secret of [inline, fromEnv]) assert.equal(bytes.indexOf(secret), -1, 'no byte of the file holds a password');

    // passwd_file outside the server's secrets folder is refused, with how to allow it
    const other = join(t.dir, 'other.xml');
    writeFileSync(other, `<definition><group type="NXentry" name="entry"><field name="f" type="NX_FLOAT"><strategy mode="STEP"/><datasource type="DB">${db(`passwd_file="${recs}"`)}<query format="SCALAR">SELECT x FROM v</query></datasource></field></group></definition>`);
    const outside = write(other, join(t.dir, 'outside.nxs'), ['--config', server]);
    assert.notEqual(outside.status, 0);
    assert.match(outside.stderr, /passwd_file .* is refused: .*secrets folder/);
  } finally {
    await my.query(`DROP USER IF EXISTS '${user}'@'%', '${user}_e'@'%'`).catch(() => undefined);
    await my.query(`DROP DATABASE IF EXISTS ${dbName}`).catch(() => undefined);
    await my.end();
    t.cleanup();
  }
});
