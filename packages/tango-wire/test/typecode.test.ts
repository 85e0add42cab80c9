import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdrReader, CdrWriter } from '../src/cdr.js';
import { readAny, readTypeCode, tc, TCKind, TypeCode, writeAny, writeTypeCode, AnyValue } from '../src/typecode.js';
import { commandTypeCode, decodeCommandResult, encodeCommandArg, DEV_STATE_TC } from '../src/command-args.js';
import { CmdArgType, DevState } from '../src/enums.js';

function roundTrip(a: AnyValue, le = true): AnyValue {
  const w = new CdrWriter(le);
  w.octet(0); // misalign on purpose
  writeAny(w, a);
  const r = new CdrReader(w.bytes(), 1, le);
  const out = readAny(r);
  assert.equal(r.remaining, 0);
  return out;
}

test('every Tango command argument type round-trips through an any, both byte orders', () => {
  const cases: [CmdArgType, unknown, unknown?][] = [
    [CmdArgType.DevVoid, undefined],
    [CmdArgType.DevBoolean, true],
    [CmdArgType.DevShort, -123],
    [CmdArgType.DevLong, 2147483647],
    [CmdArgType.DevFloat, 0.5],
    [CmdArgType.DevDouble, -1e-300],
    [CmdArgType.DevUShort, 65535],
    [CmdArgType.DevULong, 4294967295],
    [CmdArgType.DevString, 'Grüße'],
    [CmdArgType.DevUChar, 255],
    [CmdArgType.DevLong64, -(2n ** 63n)],
    [CmdArgType.DevULong64, 2n ** 64n - 1n],
    [CmdArgType.DevState, DevState.MOVING],
    [CmdArgType.DevVarCharArray, Uint8Array.of(0, 255)],
    [CmdArgType.DevVarShortArray, Int16Array.of(-1, 1)],
    [CmdArgType.DevVarLongArray, Int32Array.of(1, 2, 3)],
    [CmdArgType.DevVarFloatArray, Float32Array.of(1.5)],
    [CmdArgType.DevVarDoubleArray, Float64Array.of(1.5, 2.5)],
    [CmdArgType.DevVarUShortArray, Uint16Array.of(7)],
    [CmdArgType.DevVarULongArray, Uint32Array.of(8)],
    [CmdArgType.DevVarStringArray, ['x', 'yz', '']],
    [CmdArgType.DevVarBooleanArray, Uint8Array.of(1, 0, 1)],
    [CmdArgType.DevVarLong64Array, BigInt64Array.of(-1n)],
    [CmdArgType.DevVarULong64Array, BigUint64Array.of(1n << 63n)],
    [CmdArgType.DevVarStateArray, Uint32Array.of(0, 13)],
    [CmdArgType.DevVarLongStringArray, { lvalue: Int32Array.of(4), svalue: ['s'] }],
    [CmdArgType.DevVarDoubleStringArray, { dvalue: Float64Array.of(4.5), svalue: ['s', 't'] }],
    [CmdArgType.DevEncoded, { format: 'jpeg', data: Uint8Array.of(1, 2, 3) }],
  ];
  for (const le of [true, false]) {
    for (const [t, v] of cases) {
      const a = encodeCommandArg(t, v);
      const back = roundTrip(a, le);
      assert.deepEqual(back.type, a.type, `${CmdArgType[t]} TypeCode`);
      assert.deepEqual(decodeCommandResult(back), v, `${CmdArgType[t]} value (${le ? 'LE' : 'BE'})`);
    }
  }
});

test('plain arrays are accepted where typed arrays come back', () => {
  const back = roundTrip(encodeCommandArg(CmdArgType.DevVarDoubleArray, [1, 2]));
  assert.deepEqual(back.value, Float64Array.of(1, 2));
});

test('bad argument values are refused with the reason', () => {
  assert.throws(() => roundTrip(encodeCommandArg(CmdArgType.DevShort, 40000)), /not an integer in \[-32768, 32767\]/);
  assert.throws(() => roundTrip(encodeCommandArg(CmdArgType.DevLong, 'x')), /expected a number/);
  assert.throws(() => encodeCommandArg(CmdArgType.DevBoolean, 1), /expected a boolean/);
  assert.throws(() => roundTrip(encodeCommandArg(CmdArgType.DevVarLongStringArray, { lvalue: [1] })), /member svalue is missing/);
  assert.throws(() => encodeCommandArg(CmdArgType.DevString, undefined), /missing/);
  assert.throws(() => roundTrip(encodeCommandArg(CmdArgType.DevState, 'NOPE')), /not one of ON, OFF/);
});

test('DevState TypeCode is the 14-member enum IDL:Tango/DevState:1.0', () => {
  const t = commandTypeCode(CmdArgType.DevState);
  assert.equal(t.kind, TCKind.enum);
  assert.equal((t as { id: string }).id, 'IDL:Tango/DevState:1.0');
  assert.equal((t as { members: string[] }).members.length, 14);
  assert.deepEqual(roundTrip({ type: DEV_STATE_TC, value: 'FAULT' }).value, DevState.FAULT);
});

test('TypeCode indirection (0xffffffff + offset) resolves to an earlier TypeCode, including recursion', () => {
  // struct Node { long v; sequence<Node> kids; } encoded with an indirection for the recursive member
  const w = new CdrWriter(true);
  const structStart = w.pos;
  w.ulong(TCKind.struct);
  w.encapsulation((e) => {
    e.string('IDL:Node:1.0');
    e.string('Node');
    e.ulong(2);
    e.string('v');
    writeTypeCode(e, tc.long);
    e.string('kids');
    e.ulong(TCKind.sequence);
    e.encapsulation((s) => {
      s.ulong(0xffffffff);
      // offset from this field to the struct's kind: computed below by patching
      s.long(0);
      s.ulong(0);
    });
  });
  const bytes = w.bytes();
  // find the indirection marker and patch its offset so it points at structStart
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  let marker = -1;
  for (let i = 0; i + 4 <= bytes.length; i += 4) if (v.getUint32(i, true) === 0xffffffff) marker = i;
  v.setInt32(marker + 4, structStart - (marker + 4), true);
  const t = readTypeCode(new CdrReader(bytes, 0, true)) as unknown as { name: string; members: { name: string; type: TypeCode }[] };
  assert.equal(t.name, 'Node');
  const kids = t.members[1].type as Extract<TypeCode, { kind: TCKind.sequence }>;
  assert.equal(kids.content, t, 'the indirection points back to the enclosing struct');
  // a bad indirection is an error, not a crash
  v.setInt32(marker + 4, -9999, true);
  assert.throws(() => readTypeCode(new CdrReader(bytes, 0, true)), /indirection/);
});

test('union TypeCodes and values round-trip', () => {
  const u: TypeCode = {
    kind: TCKind.union, id: 'IDL:U:1.0', name: 'U', discriminator: tc.long, defaultIndex: -1,
    members: [{ label: 0, name: 'a', type: tc.double }, { label: 1, name: 'b', type: tc.string }],
  };
  assert.deepEqual(roundTrip({ type: u, value: { discriminator: 1, value: 'hi' } }), { type: u, value: { discriminator: 1, value: 'hi' } });
});

test('unknown TypeCode kinds and garbage are CdrErrors', () => {
  const w = new CdrWriter(true);
  w.ulong(99);
  assert.throws(() => readTypeCode(new CdrReader(w.bytes(), 0, true)), /unknown TypeCode kind 99/);
  assert.throws(() => readAny(new CdrReader(Uint8Array.of(15, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f), 0, true)), /exceeds|truncated/);
});
