import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { checkPlugin } from '@nxsw/core/conformance';

test('the plugin passes the conformance kit (manifest, registrations, the front end contract)', async () => {
  const report = await checkPlugin({ packageDir: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.deepEqual(report.checked, ['frontend:tango']);
});
