import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { checkPlugin } from '@nxsw/core/conformance';
import { noLibrary } from './helpers.js';

test('the plugin passes the conformance kit', { skip: noLibrary }, async () => {
  const report = await checkPlugin({ packageDir: fileURLToPath(new URL('../..', import.meta.url)) });
  assert.deepEqual(report.checked, ['sink:HDF5']);
});
