import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, NxswError, redactSecrets, type ExtensionBase, type PluginContext } from '@nxsw/core';
import {
  DbSourceType, redactDatasourceXml, readOptionFiles, mysqlDriver, parseDatabase, resultToValue, oracleConnectOptions,
  builtinDrivers, type SqlDriver, type SqlResult, type SecretsPolicy,
} from '../src/index.js';
import plugin from '../src/plugin.js';
import { parseXml, readContext, closedPort } from './helpers.js';
import { FakeDriver } from './fake.js';

function typeWith(...drivers: SqlDriver[]): DbSourceType {
  return typeWithSecrets({}, ...drivers);
}
function typeWithSecrets(secrets: SecretsPolicy, ...drivers: SqlDriver[]): DbSourceType {
  return new DbSourceType({ findDriver: (n) => drivers.find((d) => d.name === n), idleTimeoutMs: 0, secrets });
}
const env = { createSource: () => { throw new Error('no nested sources'); } };
const ds = (db: string, query = '<query format="SCALAR">SELECT 1</query>'): string => `<datasource type="DB" name="d">${db}${query}</datasource>`;

function configError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && e.code === 'DATASOURCE_CONFIG' && re.test(e.message) && e.location !== undefined);
}

test('configuration errors are DATASOURCE_CONFIG with the location', () => {
  const t = typeWith(new FakeDriver('MYSQL'), builtinDrivers.find((d) => d.name === 'SQLITE')!);
  const db = '<database dbtype="MYSQL" dbname="tango"/>';
  configError(() => t.create(parseXml(ds(db, '')), env), /^Database query or its format not defined \(line 1/);
  configError(() => t.create(parseXml(ds(db, '<query>SELECT 1</query>')), env), /query or its format not defined/);
  configError(() => t.create(parseXml(ds(db, '<query format="SCALAR">  </query>')), env), /query or its format not defined/);
  configError(() => t.create(parseXml(ds(db, '<query format="CUBE">SELECT 1</query>')), env), /unknown query format 'CUBE'/);
  configError(() => t.create(parseXml(ds(db, '<query format="SCALAR" timeout="soon">SELECT 1</query>')), env), /invalid query timeout/);
  configError(() => t.create(parseXml(ds('')), env), /<database>/);
  configError(() => t.create(parseXml(ds('<database dbname="x"/>')), env), /dbtype/);
  configError(() => t.create(parseXml(ds('<database dbtype="DB2" dbname="x"/>')), env), /no sql-driver for dbtype 'DB2'/);
  configError(() => t.create(parseXml(ds('<database dbtype="MYSQL" port="http"/>')), env), /invalid port/);
  configError(() => t.create(parseXml(ds('<database dbtype="SQLITE"/>')), env), /SQLITE needs dbname/);
  configError(() => t.create(parseXml(ds('<database dbtype="MYSQL" passwd="a" passwd_env="B"/>')), env), /only one of/);
  const allowing = typeWithSecrets({ passwordEnvPrefix: 'NXSW_SURELY', secretsDir: tmpdir() }, new FakeDriver('MYSQL'));
  configError(() => allowing.create(parseXml(ds('<database dbtype="MYSQL" passwd_env="NXSW_SURELY_UNSET_VAR"/>')), env), /the environment variable NXSW_SURELY_UNSET_VAR \(passwd_env\) is not set/);
  configError(() => allowing.create(parseXml(ds('<database dbtype="MYSQL" passwd_file="nxsw-surely-missing-pw"/>')), env), /cannot read the password file/);
  // format is case-insensitive and the lower-case dbtype finds the driver
  assert.equal(t.create(parseXml(ds('<database dbtype="mysql" dbname="tango"/>', '<query format="spectrum">SELECT 1</query>')), env).format, 'SPECTRUM');
});

test('describe() names dbtype, database and query, never the password', () => {
  const t = typeWith(new FakeDriver('MYSQL'));
  const s = t.create(parseXml(ds('<database dbtype="MYSQL" dbname="tango" hostname="h" user="u" passwd="s3cret"/>',
    '<query format="SPECTRUM">SELECT pid\n   FROM device LIMIT 10</query>')), env);
  assert.equal(s.describe(), 'MYSQL DB tango with SELECT pid FROM device LIMIT 10');
  assert.ok(!JSON.stringify(s.spec).includes('s3cret'));
  assert.equal(s.spec.password(), 's3cret');
});

test('passwd_env and passwd_file supply the password; errors never show it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sql-'));
  try {
    const drv = new FakeDriver('PGSQL');
    const t = typeWithSecrets({ secretsDir: dir, passwordEnvNames: ['NXSW_TEST_DB_PW'] }, drv);
    process.env.NXSW_TEST_DB_PW = 'fromEnv42';
    const a = t.create(parseXml(ds('<database dbtype="PGSQL" dbname="a" passwd_env="NXSW_TEST_DB_PW"/>')), env);
    assert.equal(a.spec.password(), 'fromEnv42');
    writeFileSync(join(dir, 'pw'), 'fromFile77\n');
    const b = t.create(parseXml(ds(`<database dbtype="PGSQL" dbname="b" passwd_file="${join(dir, 'pw')}"/>`)), env);
    assert.equal(b.spec.password(), 'fromFile77');
    drv.behaviour.down = true; // the fake's error message echoes the password
    await assert.rejects(b.read(readContext()), (e: unknown) => e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE'
      && e.message.startsWith('PGSQL DB b with SELECT 1: ') && !e.message.includes('fromFile77') && e.message.includes('***'));
    await t.dispose();
  } finally {
    delete process.env.NXSW_TEST_DB_PW;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('passwd_file, mycnf and passwd_env only take what the server configuration allows; refusals say how to allow', () => {
  const root = mkdtempSync(join(tmpdir(), 'nxsw-secrets-'));
  try {
    const secrets = join(root, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, 'pw'), 'inside\n');
    writeFileSync(join(root, 'outside'), 'outside\n');
    symlinkSync(join(root, 'outside'), join(secrets, 'link'));
    const none = typeWith(new FakeDriver('PGSQL'), new FakeDriver('MYSQL'));
    configError(() => none.create(parseXml(ds(`<database dbtype="PGSQL" passwd_file="${join(secrets, 'pw')}"/>`)), env),
      /passwd_file is refused: this server names no secrets folder; an operator allows files there with in the server configuration \(--config\): "pluginOptions": \{"@nxsw\/source-sql": \{"secretsDir"/);
    configError(() => none.create(parseXml(ds('<database dbtype="MYSQL" mycnf="/etc/passwd"/>')), env), /mycnf is refused: this server names no secrets folder/);
    configError(() => none.create(parseXml(ds('<database dbtype="PGSQL" passwd_env="HOME"/>')), env), /passwd_env HOME is refused: .*"passwordEnvNames": \["HOME"\]/);

    const t = typeWithSecrets({ secretsDir: secrets, passwordEnvPrefix: 'NXSW_DBPW_' }, new FakeDriver('PGSQL'), new FakeDriver('MYSQL'));
    assert.equal(t.create(parseXml(ds('<database dbtype="PGSQL" passwd_file="pw"/>')), env).spec.password(), 'inside', 'a relative name is read in the folder');
    for (const path of [join(root, 'outside'), `${secrets}/../outside`, join(secrets, 'link'), '/etc/passwd']) {
      configError(() => t.create(parseXml(ds(`<database dbtype="PGSQL" passwd_file="${path}"/>`)), env), /is refused: it is outside the server's secrets folder/);
    }
    configError(() => t.create(parseXml(ds(`<database dbtype="MYSQL" mycnf="${join(root, 'outside')}"/>`)), env), /mycnf .* is refused: it is outside/);
    configError(() => t.create(parseXml(ds(`<database dbtype="PGSQL" passwd_file="${secrets}"/>`)), env), /is refused: it is outside|not a regular file/);
    configError(() => t.create(parseXml(ds('<database dbtype="PGSQL" passwd_env="PATH"/>')), env), /passwd_env PATH is refused/);
    process.env.NXSW_DBPW_A = 'fromEnv';
    assert.equal(t.create(parseXml(ds('<database dbtype="PGSQL" passwd_env="NXSW_DBPW_A"/>')), env).spec.password(), 'fromEnv');
  } finally {
    delete process.env.NXSW_DBPW_A;
    rmSync(root, { recursive: true, force: true });
  }
});

test('redactSecrets: passwd attributes, URL user info and password= in connection strings', () => {
  assert.equal(redactSecrets('<database dbtype="PGSQL">postgresql://reader:s3cr3t@db.example:5432/tango</database>'), '<database dbtype="PGSQL">postgresql://reader:***@db.example:5432/tango</database>');
  assert.equal(redactSecrets('<database dbtype="PGSQL">host=db user=r password=s3cr3t dbname=t</database>'), '<database dbtype="PGSQL">host=db user=r password=*** dbname=t</database>');
  assert.equal(redactSecrets(`<database PWD='a b' passwd_file="pw" passwd_env="X"/>`), `<database PWD='***' passwd_file="pw" passwd_env="X"/>`);
  const t = typeWith(new FakeDriver('PGSQL'));
  const s = t.create(parseXml(ds('<database dbtype="PGSQL">postgresql://reader:s3cr3t@db/tango</database>')), env);
  assert.equal(s.describe(), 'PGSQL DB postgresql://reader:***@db/tango with SELECT 1');
});

test('redactDatasourceXml hides passwd values only', () => {
  const xml = `<datasource type="DB"><database dbtype="MYSQL" user="u" passwd="p&amp;w" passwd_env="X"/><query format='SCALAR'>SELECT 1</query></datasource>`;
  assert.equal(redactDatasourceXml(xml), `<datasource type="DB"><database dbtype="MYSQL" user="u" passwd="***" passwd_env="X"/><query format='SCALAR'>SELECT 1</query></datasource>`);
  assert.equal(redactDatasourceXml(`<database passwd = 'x y'/>`), `<database passwd = '***'/>`);
});

test('mycnf: [client] values fill what the element does not give', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sql-'));
  try {
    const f = join(dir, 'my.cnf');
    writeFileSync(f, '[mysqld]\nuser=mysql\n[client]\nuser = reader\npassword = "pa ss"\nhost=dbhost # comment\nport=3307\ndatabase=tango\n');
    assert.deepEqual(readOptionFiles([f], true), { user: 'reader', password: 'pa ss', host: 'dbhost', port: 3307, database: 'tango' });
    const spec = mysqlDriver.prepare!(parseDatabase({ dbtype: 'MYSQL', mycnf: f, dbname: 'other' }, '', {}, { secretsDir: dir }));
    assert.equal(spec.user, 'reader');
    assert.equal(spec.hostname, 'dbhost');
    assert.equal(spec.port, 3307);
    assert.equal(spec.dbname, 'other', 'an explicit attribute wins');
    assert.equal(spec.password(), 'pa ss');
    assert.ok(!JSON.stringify(spec).includes('pa ss'));
    assert.throws(() => parseDatabase({ dbtype: 'MYSQL', mycnf: join(dir, 'none.cnf') }, '', {}, { secretsDir: dir }), /cannot read the option file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('option files: the client groups, later files override earlier ones, includes are followed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sql-'));
  try {
    mkdirSync(join(dir, 'conf.d'));
    writeFileSync(join(dir, 'conf.d', 'b.cnf'), '[client]\nport=3310\n');
    writeFileSync(join(dir, 'conf.d', 'a.cnf'), '[client]\nport=3309\ndatabase=fromdir\n');
    writeFileSync(join(dir, 'conf.d', 'ignored.txt'), '[client]\nuser=never\n');
    writeFileSync(join(dir, 'secret.cnf'), '[client-mariadb]\npassword=included\n');
    writeFileSync(join(dir, 'first.cnf'), '[client-server]\nsocket=/run/first.sock\n[client]\nuser=first\n!include secret.cnf\n!includedir conf.d\n!include missing.cnf\n');
    writeFileSync(join(dir, 'second.cnf'), '[mysql]\nuser=tool-only\n[client]\nuser=second\n');
    assert.deepEqual(readOptionFiles([join(dir, 'first.cnf'), join(dir, 'absent.cnf'), join(dir, 'second.cnf')]),
      { socket: '/run/first.sock', user: 'second', password: 'included', port: 3310, database: 'fromdir' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('result shapes per format and type inference', () => {
  const r: SqlResult = {
    columns: [{ name: 'a', kind: 'int' }, { name: 'b', kind: 'float' }],
    rows: [[1, 1.5], [2, 2.5], [3, 3.5]],
  };
  const scalar = resultToValue(r, 'SCALAR');
  assert.deepEqual([scalar.type, scalar.shape, [...(scalar.data as BigInt64Array)]], ['int64', [], [1n]]);
  const row = resultToValue(r, 'SPECTRUM');
  assert.deepEqual([row.type, row.shape, [...(row.data as Float64Array)]], ['float64', [2], [1, 1.5]]);
  const img = resultToValue(r, 'IMAGE');
  assert.deepEqual([img.type, img.shape, [...(img.data as Float64Array)]], ['float64', [3, 2], [1, 1.5, 2, 2.5, 3, 3.5]]);
  const col = resultToValue({ columns: [{ name: 'a', kind: 'decimal' }], rows: [['9007199254740993'], ['-5']] }, 'SPECTRUM');
  assert.deepEqual([col.type, col.shape, [...(col.data as BigInt64Array)]], ['int64', [2], [9007199254740993n, -5n]]);
  const dec = resultToValue({ columns: [{ name: 'a', kind: 'decimal' }], rows: [['1.250']] }, 'SCALAR');
  assert.deepEqual([dec.type, [...(dec.data as Float64Array)]], ['float64', [1.25]]);
  const u = resultToValue({ columns: [{ name: 'a', kind: 'int' }], rows: [['18446744073709551615']] }, 'SCALAR');
  assert.deepEqual([u.type, [...(u.data as BigUint64Array)]], ['uint64', [18446744073709551615n]]);
  const mixed = resultToValue({ columns: [{ name: 'a', kind: 'int' }, { name: 'b', kind: 'string' }, { name: 'c', kind: 'bool' }], rows: [[7n, 'x', true]] }, 'SPECTRUM');
  assert.deepEqual([mixed.type, mixed.data], ['string', ['7', 'x', 'true']]);
  const bools = resultToValue({ columns: [{ name: 'a', kind: 'bool' }], rows: [[1], [0]] }, 'SPECTRUM');
  assert.deepEqual([bools.type, [...(bools.data as Uint8Array)]], ['bool', [1, 0]]);
  const date = resultToValue({ columns: [{ name: 'a', kind: 'datetime' }], rows: [[new Date(Date.UTC(2024, 4, 1, 12))], ['2024-05-01 12:00:00+02']] }, 'SPECTRUM');
  assert.deepEqual(date.data, ['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00+02:00']);
  const withNull = resultToValue({ columns: [{ name: 'a', kind: 'int' }], rows: [[1n], [null]] }, 'SPECTRUM');
  assert.equal(withNull.type, 'float64');
  assert.ok(Number.isNaN((withNull.data as Float64Array)[1]));
  assert.throws(() => resultToValue({ columns: [{ name: 'a', kind: 'int' }], rows: [[null]] }, 'SCALAR'), (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND' && /NULL/.test(e.message));
  assert.throws(() => resultToValue({ columns: [{ name: 'a', kind: 'int' }], rows: [] }, 'SCALAR'), (e: unknown) => e instanceof NxswError && e.code === 'DATA_NOT_FOUND');
  assert.throws(() => resultToValue({ columns: [], rows: [] }, 'SCALAR'), (e: unknown) => e instanceof NxswError && e.code === 'DATASOURCE_CONFIG');
});

test('pool: lazy, reused across reads and sources, bounded, closed by dispose', async () => {
  const drv = new FakeDriver('PGSQL', { delayMs: 5 });
  const t = new DbSourceType({ findDriver: () => drv, poolSize: 2, idleTimeoutMs: 0 });
  const db = '<database dbtype="PGSQL" hostname="h" dbname="d" user="u"/>';
  const a = t.create(parseXml(ds(db)), env);
  const b = t.create(parseXml(ds(db, '<query format="SCALAR">SELECT 2</query>')), env);
  assert.equal(drv.connects, 0, 'nothing opened before the first read');
  for (let i = 0; i < 10; i++) await (i % 2 ? a : b).read(readContext());
  assert.equal(drv.connects, 1);
  await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).read(readContext())));
  assert.equal(drv.maxOpen, 2, 'never more than poolSize connections');
  assert.equal(drv.readOnlyCalls, drv.connects, 'every connection is made read-only');
  assert.equal(t.pools.size, 1);
  // another user is another pool
  await t.create(parseXml(ds('<database dbtype="PGSQL" hostname="h" dbname="d" user="v"/>')), env).read(readContext());
  assert.equal(t.pools.size, 2);
  await t.dispose();
  assert.equal(drv.open, 0, 'dispose closes every connection');
});

test('pool: server down then back, stale connection retried once', async () => {
  const drv = new FakeDriver('PGSQL');
  const t = typeWith(drv);
  const s = t.create(parseXml(ds('<database dbtype="PGSQL" dbname="d"/>')), env);
  const v = await s.read(readContext());
  assert.deepEqual([...(v.data as BigInt64Array)], [42n]);
  drv.behaviour.killIdle = true; // the pooled connection died while idle
  await s.read(readContext());
  assert.equal(drv.connects, 2, 'a fresh connection replaced the dead one');
  drv.behaviour.down = true;
  drv.behaviour.killIdle = true;
  await assert.rejects(s.read(readContext()), (e: unknown) => e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE');
  drv.behaviour.down = false;
  await s.read(readContext());
  assert.equal(drv.open, 1);
  await t.dispose();
});

test('timeouts: query attribute, plugin default and ctx.signal give TIMEOUT', async () => {
  const drv = new FakeDriver('PGSQL', { delayMs: 2000 });
  const t = new DbSourceType({ findDriver: () => drv, timeoutMs: 5000, idleTimeoutMs: 0 });
  const s = t.create(parseXml(ds('<database dbtype="PGSQL" dbname="d"/>', '<query format="SCALAR" timeout="100">SELECT 1</query>')), env);
  assert.equal(s.timeoutMs, 100);
  const t0 = Date.now();
  await assert.rejects(s.read(readContext()), (e: unknown) => e instanceof NxswError && e.code === 'TIMEOUT' && /timed out after 100 ms/.test(e.message) && e.message.startsWith('PGSQL DB d'));
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(drv.lastQuery?.timeoutMs, 100);
  const dflt = t.create(parseXml(ds('<database dbtype="PGSQL" dbname="d"/>')), env);
  assert.equal(dflt.timeoutMs, 5000);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 50);
  await assert.rejects(dflt.read(readContext(ac.signal)), (e: unknown) => e instanceof NxswError && e.code === 'TIMEOUT' && /aborted/.test(e.message));
  assert.equal(drv.open, 0, 'timed-out connections are dropped');
  drv.behaviour.sqlError = 'syntax error at or near "SELEC"';
  await assert.rejects(dflt.read(readContext()), (e: unknown) => e instanceof NxswError && e.code === 'DATASOURCE_CONFIG' && /syntax error/.test(e.message));
  await t.dispose();
});

test('ORACLE: configuration mapping (no server here) and an unreachable listener', async () => {
  const withDsn = parseDatabase({ dbtype: 'ORACLE', user: 'scott', passwd: 'tiger', mode: 'SYSDBA' }, '\n  (DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=XE)))  ');
  assert.deepEqual(oracleConnectOptions(withDsn, 2500), {
    user: 'scott', password: 'tiger', connectString: '(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db)(PORT=1521))(CONNECT_DATA=(SERVICE_NAME=XE)))', privilege: 2, connectTimeout: 3,
  });
  const byParts = parseDatabase({ dbtype: 'ORACLE', hostname: 'h', port: '1522', dbname: 'ORCL', user: 'u', mode: '4' }, '');
  assert.equal(oracleConnectOptions(byParts, 1000).connectString, 'h:1522/ORCL');
  assert.equal(oracleConnectOptions(byParts, 1000).privilege, 4);
  assert.equal(oracleConnectOptions(parseDatabase({ dbtype: 'ORACLE', mode: '0' }, 'x'), 1000).privilege, undefined);
  const oracle = builtinDrivers.find((d) => d.name === 'ORACLE')!;
  const t = typeWith(oracle);
  configError(() => t.create(parseXml(ds('<database dbtype="ORACLE" mode="SYSWHAT">db/XE</database>')), env), /unknown Oracle mode/);
  configError(() => t.create(parseXml(ds('<database dbtype="ORACLE" user="u"/>')), env), /ORACLE needs a DSN/);
  const port = await closedPort();
  const s = t.create(parseXml(ds(`<database dbtype="ORACLE" user="u" passwd="secretpw">127.0.0.1:${port}/XE</database>`, '<query format="SCALAR" timeout="8000">SELECT 1 FROM dual</query>')), env);
  assert.equal(s.describe(), `ORACLE DB 127.0.0.1:${port}/XE with SELECT 1 FROM dual`);
  await assert.rejects(s.read(readContext()), (e: unknown) => e instanceof NxswError && e.code === 'SOURCE_UNAVAILABLE' && !e.message.includes('secretpw'));
  await t.dispose();
});

test('plugin registers the DB type and four drivers; the type finds drivers through the kernel', async () => {
  const provided: ExtensionBase[] = [];
  const site = new FakeDriver('SITEDB');
  const ctx = {
    plugin: { name: '@nxsw/source-sql', version: '0.1.0', dir: '.' },
    options: { timeoutMs: 1234, poolSize: 3 },
    container: undefined as never,
    provide: (e: ExtensionBase) => { provided.push(e); },
    extensions: {
      list: <T extends ExtensionBase>(kind: string) => [...provided, site].filter((e) => e.kind === kind) as T[],
      find: <T extends ExtensionBase>(kind: string, name: string) => [...provided, site].find((e) => e.kind === kind && e.name === name) as T | undefined,
    },
    log: { debug() {}, info() {}, warn() {}, error() {} },
  } satisfies PluginContext;
  await plugin.register(ctx);
  assert.deepEqual(provided.map((e) => `${e.kind}:${e.name}`).sort(), ['datasource:DB', 'sql-driver:MYSQL', 'sql-driver:ORACLE', 'sql-driver:PGSQL', 'sql-driver:SQLITE']);
  const db = provided.find((e) => e.kind === 'datasource') as DbSourceType;
  assert.equal(db.defaultTimeoutMs, 1234);
  const s = db.create(parseXml(ds('<database dbtype="SITEDB" dbname="x"/>')), env);
  assert.deepEqual([...((await s.read(readContext())).data as BigInt64Array)], [42n]);
  assert.equal(site.connects, 1);
  await db.dispose();
});
