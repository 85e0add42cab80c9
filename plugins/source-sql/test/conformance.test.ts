import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { checkPlugin } from '@nxsw/core/conformance';

test('the plugin passes the conformance kit (DB on SQLite, and every sql-driver)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-sql-conf-'));
  try {
    const file = join(dir, 'c.sqlite');
    const db = new Database(file);
    db.exec("CREATE TABLE t (v REAL); INSERT INTO t VALUES (2.5)");
    db.close();
    const drivers: string[] = [];
    const report = await checkPlugin({
      packageDir: fileURLToPath(new URL('../..', import.meta.url)),
      datasource: {
        DB: {
          valid: `<datasource type="DB"><database dbtype="SQLITE" dbname="${file}"/><query format="SCALAR">SELECT v FROM t</query></datasource>`,
          invalid: `<datasource type="DB"><database dbtype="SQLITE" dbname="${file}"/></datasource>`,
        },
      },
      other: {
        'sql-driver': (ext) => {
          const d = ext as { name: string; connectionKey?: unknown; connect?: unknown };
          assert.equal(typeof d.connectionKey, 'function', `${d.name}: connectionKey()`);
          assert.equal(typeof d.connect, 'function', `${d.name}: connect()`);
          drivers.push(d.name);
        },
      },
    });
    assert.deepEqual(drivers.sort(), ['MYSQL', 'ORACLE', 'PGSQL', 'SQLITE']);
    assert.ok(report.checked.includes('datasource:DB'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
