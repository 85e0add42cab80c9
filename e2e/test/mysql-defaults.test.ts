// MYSQL sources without an explicit user or host connect as the MySQL client library does (the
// reference's way): the login user, `localhost` over the unix socket, option files in the
// library's order. Against the real MariaDB, with a private HOME and scratch option files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { REPO, tempDir } from './scan.js';

const ADMIN = { host: '127.0.0.1', port: 3306, user: 'root' };
const myUp = await mysql.createConnection(ADMIN).then(async (c) => { await c.end(); return true; }, () => false);
const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || serviceSkip('MariaDB', myUp, 'a server on 127.0.0.1:3306, root without a password');

/** runs `nxsw write` with HOME set to `home`; returns the file's entry as h5py reads it */
function writeWithHome(dir: string, home: string, database: string, canfail = false) {
  const cfg = join(dir, 'who.xml');
  writeFileSync(cfg, `<definition><group type="NXentry" name="entry">
  <field name="who" type="NX_CHAR"><strategy mode="INIT"${canfail ? ' canfail="true"' : ''}/><datasource type="DB">${database}<query format="SCALAR">SELECT CURRENT_USER()</query></datasource></field>
</group></definition>`);
  const out = join(dir, `who-${Math.random().toString(36).slice(2)}.nxs`);
  const r = spawnSync(process.execPath, [join(REPO, 'core/dist/src/cli/main.js'), 'write', cfg, '--output', out], { encoding: 'utf8', env: { ...process.env, HOME: home } });
  assert.equal(r.status, 0, r.stderr);
  return h5get(readWithH5py(out), 'entry/who');
}

test('no user, no host, no option file in HOME: the login user over the unix socket', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const home = join(t.dir, 'home');
    mkdirSync(home);
    // root has socket (or password-less) authentication at localhost; other login users need an account
    const login = userInfo().username;
    assert.equal(writeWithHome(t.dir, home, '<database dbtype="MYSQL"/>').value, `${login}@localhost`);
  } finally {
    t.cleanup();
  }
});

test('~/.my.cnf [client] with an !include gives user, password and host; its socket is used for localhost', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  const user = `nxsw_i10_${process.pid}`;
  const password = `pw-${process.pid}-x`;
  const admin = await mysql.createConnection(ADMIN);
  try {
    await admin.query(`CREATE USER '${user}'@'127.0.0.1' IDENTIFIED BY '${password}'`);
    const home = join(t.dir, 'home');
    mkdirSync(home);
    writeFileSync(join(home, '.my.cnf'), `[mysql]\nuser=only-for-the-mysql-tool\n[client]\nuser=${user}\n!include ${join(home, 'secret.cnf')}\n`);
    writeFileSync(join(home, 'secret.cnf'), `[client]\npassword="${password}"\nhost=127.0.0.1\n`);
    assert.equal(writeWithHome(t.dir, home, '<database dbtype="MYSQL"/>').value, `${user}@127.0.0.1`);

    // a socket named in ~/.my.cnf is where a localhost connection goes
    const other = join(t.dir, 'other');
    mkdirSync(other);
    const socket = join(t.dir, 'no-server-here.sock');
    writeFileSync(join(other, '.my.cnf'), `[client]\nsocket=${socket}\n`);
    const failed = writeWithHome(t.dir, other, '<database dbtype="MYSQL" user="root"/>', true);
    assert.equal(failed.attrs.nexdatas_canfail!.value, 'FAILED');
    assert.match(String(failed.attrs.nexdatas_canfail_error!.value), new RegExp(`ENOENT.*${socket.replace(/[.]/g, '\\.')}`));

  } finally {
    await admin.query(`DROP USER IF EXISTS '${user}'@'127.0.0.1'`).catch(() => undefined);
    await admin.end();
    t.cleanup();
  }
});
