import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdrError, CdrReader, CdrWriter, transliterateLatin1 } from '../src/cdr.js';

for (const le of [true, false]) {
  const order = le ? 'little-endian' : 'big-endian';

  test(`${order}: primitives round-trip with their alignment`, () => {
    const w = new CdrWriter(le);
    w.octet(0xab).short(-2).long(-70000).ulong(0xfffffff0).boolean(true).longlong(-(2n ** 62n)).ulonglong(2n ** 64n - 1n);
    w.float(1.5).double(Math.PI).ushort(65535).string('héllo').octetSeq(Uint8Array.of(1, 2, 3)).stringSeq(['a', '', 'ccc']);
    const b = w.bytes();
    // octet at 0, short aligned to 2, long to 4, ...
    assert.equal(b[0], 0xab);
    const view = new DataView(b.buffer, b.byteOffset);
    assert.equal(view.getInt16(2, le), -2);
    assert.equal(view.getInt32(4, le), -70000);
    assert.equal(view.getBigInt64(16, le), -(2n ** 62n), 'long long aligned to 8 after the boolean at 12');
    const r = new CdrReader(b, 0, le);
    assert.equal(r.octet(), 0xab);
    assert.equal(r.short(), -2);
    assert.equal(r.long(), -70000);
    assert.equal(r.ulong(), 0xfffffff0);
    assert.equal(r.boolean(), true);
    assert.equal(r.longlong(), -(2n ** 62n));
    assert.equal(r.ulonglong(), 2n ** 64n - 1n);
    assert.equal(r.float(), 1.5);
    assert.equal(r.double(), Math.PI);
    assert.equal(r.ushort(), 65535);
    assert.equal(r.string(), 'héllo');
    assert.deepEqual(Array.from(r.octetSeq()), [1, 2, 3]);
    assert.deepEqual(r.stringSeq(), ['a', '', 'ccc']);
    assert.equal(r.remaining, 0);
  });

  test(`${order}: typed arrays decode element by element`, () => {
    const w = new CdrWriter(le);
    w.octet(7);
    w.numbers('double', [1.25, -2, 1e300]);
    w.numbers('short', [-1, 2]);
    w.numbers('ulong', [0, 4294967295]);
    w.bigints('longlong', [-5n, 2n ** 40n]);
    const r = new CdrReader(w.bytes(), 0, le);
    r.octet();
    assert.deepEqual(Array.from(r.float64Array(3)), [1.25, -2, 1e300]);
    assert.deepEqual(Array.from(r.int16Array(2)), [-1, 2]);
    assert.deepEqual(Array.from(r.uint32Array(2)), [0, 4294967295]);
    assert.deepEqual(Array.from(r.bigInt64Array(2)), [-5n, 2n ** 40n]);
  });
}

test('strings: length includes the NUL, empty string has length 1', () => {
  const w = new CdrWriter(true);
  w.string('');
  w.string('ab');
  assert.deepEqual(Array.from(w.bytes()), [1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x61, 0x62, 0]);
});

test('alignment counts from the base offset, not from the buffer start', () => {
  // base 12 = a GIOP body: a double at buffer offset 16 is at 4 from the base -> padded to offset 20
  const w = new CdrWriter(true, 12);
  for (let i = 0; i < 16; i++) w.octet(0);
  w.double(1);
  assert.equal(w.pos, 28);
  const r = new CdrReader(w.bytes(), 16, true, 12);
  assert.equal(r.double(), 1);
  assert.equal(r.pos, 28);
});

test('encapsulations restart alignment at their byte-order octet and may use the other byte order', () => {
  const w = new CdrWriter(true);
  w.octet(9);
  w.encapsulation((e) => { e.ulong(0x01020304); e.double(2.5); }, false);
  const b = w.bytes();
  // outer: octet, pad to 4, ulong length; inner: 00 (big-endian flag), pad to 4 from the flag, ulong, pad to 8, double
  const r = new CdrReader(b, 0, true);
  r.octet();
  const e = r.encapsulation();
  assert.equal(e.littleEndian, false);
  assert.equal(b[e.base], 0, 'byte order octet');
  assert.equal(e.ulong(), 0x01020304);
  assert.equal(e.pos - e.base, 8);
  assert.equal(e.double(), 2.5);
  assert.equal(e.pos - e.base, 16, 'double aligned to 8 relative to the encapsulation start');
  assert.equal(r.remaining, 0);
});

test('truncated and oversized data raise CdrError naming what was read', () => {
  assert.throws(() => new CdrReader(Uint8Array.of(1, 2), 0, true).long(), (e: Error) => e instanceof CdrError && /long/.test(e.message));
  // a sequence count larger than the data cannot allocate
  const w = new CdrWriter(true);
  w.ulong(0x7fffffff);
  assert.throws(() => new CdrReader(w.bytes(), 0, true).stringSeq(), (e: Error) => e instanceof CdrError && /exceeds/.test(e.message));
  const z = new CdrWriter(true);
  z.ulong(0);
  assert.throws(() => new CdrReader(z.bytes(), 0, true).string(), /length 0/);
});

test('non-latin-1 characters are refused with a clear error, utf8 codec accepts them', () => {
  assert.throws(() => new CdrWriter(true).string('π'), /U\+03c0.*ISO-8859-1/);
  const w = new CdrWriter(true, 0, 'utf8');
  w.string('π');
  assert.equal(new CdrReader(w.bytes(), 0, true, 0, undefined, 'utf8').string(), 'π');
});

test('the writer grows past its initial size', () => {
  const w = new CdrWriter(true, 0, 'latin1', 4);
  const big = new Float64Array(10000).map((_, i) => i * 0.5);
  w.ulong(big.length);
  w.numbers('double', big);
  const r = new CdrReader(w.bytes(), 0, true);
  assert.deepEqual(r.float64Array(r.ulong()), big);
});

test('transliterated Latin-1: dashes, arrows and quotes in ASCII, other characters as one ?', () => {
  assert.equal(transliterateLatin1('a — b → c ≥ 1 “q” … 😀 é µ'), 'a - b -> c >= 1 "q" ... ? é µ');
  const w = new CdrWriter(true, 0, 'latin1-transliterated');
  w.string('x → y');
  assert.equal(new CdrReader(w.bytes()).string(), 'x -> y');
  assert.throws(() => new CdrWriter(true, 0).string('x → y'), CdrError);
});
