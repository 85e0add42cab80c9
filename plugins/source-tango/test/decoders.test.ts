import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { checkPlugin } from '@nxsw/core/conformance';
import { utf8Decoder, uint32Decoder } from '../src/index.js';

test('UTF8 and UINT32 decode DevEncoded bytes and refuse bad ones', () => {
  assert.deepEqual(utf8Decoder.decode('UTF8', new TextEncoder().encode('Größe ✓')).data, ['Größe ✓']);
  assert.throws(() => utf8Decoder.decode('UTF8', new Uint8Array([0xff, 0xfe])), /not valid UTF-8/);
  const v = uint32Decoder.decode('UINT32', new Uint8Array([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]));
  assert.deepEqual([...(v.data as Uint32Array)], [1, 4294967295]);
  assert.deepEqual(v.shape, [2]);
  assert.throws(() => uint32Decoder.decode('UINT32', new Uint8Array(3)), /not a multiple of 4/);
});

test('the plugin passes the conformance kit', async () => {
  const r = await checkPlugin({
    packageDir: fileURLToPath(new URL('../..', import.meta.url)),
    decoder: { UTF8: { format: 'UTF8', bytes: new TextEncoder().encode('x') }, UINT32: { format: 'UINT32', bytes: new Uint8Array(8) } },
  });
  assert.deepEqual(r.checked.sort(), ['decoder:UINT32', 'decoder:UTF8']);
});
