// The worker's frames: however the pipe cuts the byte stream (single bytes, split headers, several
// frames in one read, a 1 MiB value over many reads), each frame comes out once, whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSplitter, decodeValue, encodeFrame } from '../src/index.js';

test('FrameSplitter gives each frame once, whole, for any cut of the stream', () => {
  const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 7) & 0xff);
  const values = ['short', big, { a: [1, 2.5, null] }, '', big.subarray(0, 3)];
  const stream = Buffer.concat(values.map((v) => encodeFrame(v)));
  for (const size of [1, 3, 4, 5, 7, 4096, 65536, stream.length]) {
    const splitter = new FrameSplitter();
    const got: unknown[] = [];
    for (let at = 0; at < stream.length; at += size) splitter.push(stream.subarray(at, at + size), (body) => got.push(decodeValue(body)));
    assert.equal(got.length, values.length, `chunks of ${size} bytes`);
    assert.equal(got[0], 'short');
    assert.ok(Buffer.from(got[1] as Uint8Array).equals(Buffer.from(big)), `the 1 MiB value, chunks of ${size} bytes`);
    assert.deepEqual(got[2], { a: [1, 2.5, null] });
    assert.equal(got[3], '');
    assert.deepEqual(Array.from(got[4] as Uint8Array), [0, 7, 14]);
  }
});
