import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdrReader, CdrWriter } from '../src/cdr.js';
import {
  AttrData, AttributeReading, readAttributeValue3, readAttributeValueList45, scalarOf, writeAttributeValue3, writeAttributeValue45,
  writeAttributeValue1, readAttrValUnion, writeAttrValUnion,
} from '../src/attribute-value.js';
import { AttrDataFormat, AttrQuality, AttrWriteType, AttributeDataType, CmdArgType, DevState, DispLevel } from '../src/enums.js';
import { AttributeConfigVersion, defaultAttributeConfig, readAttributeConfig, writeAttributeConfig, readCommandInfo, writeCommandInfo, readDevInfo, writeDevInfo } from '../src/idl.js';
import { toWritable } from '../src/device-proxy.js';

const time = { sec: 1700000000, usec: 123456, nsec: 7 };

function reading(type: CmdArgType, format: AttrDataFormat, shape: number[], data: AttrData, writeData?: AttrData): AttributeReading {
  return { name: `a_${CmdArgType[type]}`, type, format, shape, data, quality: AttrQuality.ATTR_ALARM, time, errors: [], ...(writeData ? { writeData, writeShape: shape } : {}) };
}

const samples: AttributeReading[] = [
  reading(CmdArgType.DevBoolean, AttrDataFormat.SCALAR, [], Uint8Array.of(1), Uint8Array.of(0)),
  reading(CmdArgType.DevShort, AttrDataFormat.SPECTRUM, [3], Int16Array.of(-1, 0, 1), Int16Array.of(5, 6, 7)),
  reading(CmdArgType.DevLong, AttrDataFormat.IMAGE, [2, 3], Int32Array.of(1, 2, 3, 4, 5, 6)),
  reading(CmdArgType.DevLong64, AttrDataFormat.SCALAR, [], BigInt64Array.of(-(2n ** 62n)), BigInt64Array.of(1n)),
  reading(CmdArgType.DevFloat, AttrDataFormat.SPECTRUM, [2], Float32Array.of(0.5, 1.5)),
  reading(CmdArgType.DevDouble, AttrDataFormat.IMAGE, [1, 2], Float64Array.of(Math.E, -0), Float64Array.of(1, 2)),
  reading(CmdArgType.DevUChar, AttrDataFormat.SPECTRUM, [2], Uint8Array.of(0, 255)),
  reading(CmdArgType.DevUShort, AttrDataFormat.SCALAR, [], Uint16Array.of(65535)),
  reading(CmdArgType.DevULong, AttrDataFormat.SPECTRUM, [1], Uint32Array.of(4294967295)),
  reading(CmdArgType.DevULong64, AttrDataFormat.SCALAR, [], BigUint64Array.of(2n ** 64n - 1n)),
  reading(CmdArgType.DevString, AttrDataFormat.IMAGE, [2, 1], ['a', 'bé'], ['c', 'd']),
  reading(CmdArgType.DevState, AttrDataFormat.SPECTRUM, [2], Uint32Array.of(DevState.ON, DevState.FAULT)),
  reading(CmdArgType.DevEncoded, AttrDataFormat.SCALAR, [], [{ format: 'jpeg', data: Uint8Array.of(0xff, 0xd8) }]),
];

for (const v of [4, 5] as const) {
  test(`AttributeValue_${v}: every data type and format round-trips (read part and set point)`, () => {
    for (const le of [true, false]) {
      const w = new CdrWriter(le);
      w.ulong(samples.length);
      for (const s of samples) writeAttributeValue45(w, s, v);
      const back = readAttributeValueList45(new CdrReader(w.bytes(), 0, le), v);
      assert.deepEqual(back, samples, `IDL ${v} ${le ? 'LE' : 'BE'}`);
    }
  });
}

test('AttributeValue_3 (any): every data type round-trips; the format is inferred from the dims', () => {
  for (const s of samples) {
    const w = new CdrWriter(true);
    writeAttributeValue3(w, s);
    const back = readAttributeValue3(new CdrReader(w.bytes(), 0, true), 3);
    assert.equal(back.type, s.type, s.name);
    assert.deepEqual(back.data, s.data, s.name);
    assert.deepEqual(back.writeData, s.writeData, s.name);
    assert.deepEqual(back.time, time);
    if (s.format !== AttrDataFormat.SPECTRUM || s.shape[0] > 1) assert.equal(back.format, s.format, `${s.name} format`);
  }
});

test('IDL 1 AttributeValue (write_attributes) carries the value and dims', () => {
  const s = samples[2];
  const w = new CdrWriter(true);
  writeAttributeValue1(w, s);
  const back = readAttributeValue3(new CdrReader(w.bytes(), 0, true), 1);
  assert.deepEqual([back.data, back.shape, back.format], [s.data, [2, 3], AttrDataFormat.IMAGE]);
});

test('a failed attribute travels as ATT_NO_DATA with its errors', () => {
  const failed: AttributeReading = { name: 'bad', type: CmdArgType.DevVoid, format: AttrDataFormat.FMT_UNKNOWN, shape: [], data: new Uint8Array(0), quality: AttrQuality.ATTR_INVALID, time, errors: [{ reason: 'API_AttrNotFound', severity: 1, desc: 'no', origin: 'x' }] };
  const w = new CdrWriter(true);
  w.ulong(1);
  writeAttributeValue45(w, failed, 5);
  const r = new CdrReader(w.bytes(), 4, true);
  assert.equal(r.ulong(), AttributeDataType.ATT_NO_DATA);
  const [back] = readAttributeValueList45(new CdrReader(w.bytes(), 0, true), 5);
  assert.deepEqual(back, failed);
  assert.throws(() => scalarOf(back), /API_AttrNotFound/);
});

test('scalarOf gives booleans for DevBoolean and the element otherwise', () => {
  assert.equal(scalarOf(samples[0]), true);
  assert.equal(scalarOf(samples[3]), -(2n ** 62n));
});

test('AttrValUnion refuses values outside the element range, naming the element', () => {
  assert.throws(() => writeAttrValUnion(new CdrWriter(true), AttributeDataType.ATT_SHORT, [1, 70000] as unknown as Int16Array), /ATT_SHORT value\[1\]: 70000/);
  assert.throws(() => writeAttrValUnion(new CdrWriter(true), AttributeDataType.ATT_STRING, [1] as unknown as string[]), /expected a string/);
  const w = new CdrWriter(true);
  w.ulong(99);
  assert.throws(() => readAttrValUnion(new CdrReader(w.bytes(), 0, true)), /discriminator 99/);
});

test('AttributeConfig versions 1, 2, 3, 5 round-trip the fields each version has', () => {
  const c = defaultAttributeConfig('level', CmdArgType.DevDouble, AttrDataFormat.SPECTRUM, AttrWriteType.READ_WRITE);
  Object.assign(c, { unit: 'mm', level: DispLevel.EXPERT, memorized: true, enumLabels: ['a'], rootAttrName: 'r', extensions: ['e'], sysExtensions: ['s'] });
  c.alarm.minAlarm = '-1';
  c.alarm.maxWarning = '9';
  c.events.change.absChange = '0.5';
  for (const v of [1, 2, 3, 5] as AttributeConfigVersion[]) {
    const w = new CdrWriter(false);
    writeAttributeConfig(w, c, v);
    const back = readAttributeConfig(new CdrReader(w.bytes(), 0, false), v);
    assert.equal(back.unit, 'mm');
    assert.equal(back.alarm.minAlarm, '-1', `v${v} min_alarm`);
    assert.equal(back.level, v >= 2 ? DispLevel.EXPERT : DispLevel.OPERATOR);
    assert.equal(back.memorized, v === 5);
    assert.equal(back.alarm.maxWarning, v >= 3 ? '9' : 'Not specified');
    assert.equal(back.events.change.absChange, v >= 3 ? '0.5' : 'Not specified');
    assert.deepEqual(back.enumLabels, v === 5 ? ['a'] : []);
    if (v === 5) assert.deepEqual(back, c);
  }
});

test('the default format follows the data type as cppTango sets it (Taurus formats values with it)', () => {
  const fmt = (t: CmdArgType) => defaultAttributeConfig('x', t).format;
  for (const t of [CmdArgType.DevShort, CmdArgType.DevLong, CmdArgType.DevLong64, CmdArgType.DevUChar, CmdArgType.DevUShort, CmdArgType.DevULong, CmdArgType.DevULong64]) {
    assert.equal(fmt(t), '%d', CmdArgType[t]);
  }
  assert.equal(fmt(CmdArgType.DevFloat), '%6.2f');
  assert.equal(fmt(CmdArgType.DevDouble), '%6.2f');
  assert.equal(fmt(CmdArgType.DevString), '%s');
  assert.equal(fmt(CmdArgType.DevEnum), '%s');
  // no printf format fits these: a boolean shown with %6.2f reads "  1.00"
  for (const t of [CmdArgType.DevBoolean, CmdArgType.DevState, CmdArgType.DevEncoded]) assert.equal(fmt(t), 'Not specified', CmdArgType[t]);
});

test('DevCmdInfo 1/2 and DevInfo 1/3 round-trip', () => {
  const ci = { name: 'Go', level: DispLevel.EXPERT, tag: 3, inType: CmdArgType.DevVarDoubleStringArray, outType: CmdArgType.DevState, inTypeDesc: 'in', outTypeDesc: 'out' };
  for (const v of [1, 2] as const) {
    const w = new CdrWriter(true);
    writeCommandInfo(w, ci, v);
    assert.deepEqual(readCommandInfo(new CdrReader(w.bytes(), 0, true), v), v === 2 ? ci : { ...ci, level: DispLevel.OPERATOR });
  }
  const di = { devClass: 'C', serverId: 'S/1', serverHost: 'h', serverVersion: 5, docUrl: 'u', devType: 't' };
  const w = new CdrWriter(true);
  writeDevInfo(w, di, 3);
  assert.deepEqual(readDevInfo(new CdrReader(w.bytes(), 0, true), 3), di);
});

test('toWritable: scalars, spectra, images, booleans and the errors for wrong shapes', () => {
  const cfg = (t: CmdArgType, f: AttrDataFormat) => defaultAttributeConfig('x', t, f, AttrWriteType.READ_WRITE);
  assert.deepEqual(toWritable(cfg(CmdArgType.DevDouble, AttrDataFormat.SCALAR), 2.5).data, [2.5]);
  const img = toWritable(cfg(CmdArgType.DevShort, AttrDataFormat.IMAGE), [[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual([img.shape, img.data], [[2, 3], [1, 2, 3, 4, 5, 6]]);
  assert.deepEqual(toWritable(cfg(CmdArgType.DevBoolean, AttrDataFormat.SPECTRUM), [true, false]).data, Uint8Array.of(1, 0));
  assert.throws(() => toWritable(cfg(CmdArgType.DevDouble, AttrDataFormat.SCALAR), [1]), /scalar attribute; got an array/);
  assert.throws(() => toWritable(cfg(CmdArgType.DevDouble, AttrDataFormat.SPECTRUM), 1), /spectrum attribute; expected an array/);
  assert.throws(() => toWritable(cfg(CmdArgType.DevShort, AttrDataFormat.IMAGE), [[1, 2], [3]]), /row 1 has 1 elements, row 0 has 2/);
  assert.throws(() => toWritable(cfg(CmdArgType.DevBoolean, AttrDataFormat.SCALAR), 'yes'), /expected a boolean/);
  assert.throws(() => toWritable(cfg(CmdArgType.DevString, AttrDataFormat.SCALAR), 5), /expected a string/);
});
