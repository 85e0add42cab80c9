import { test } from 'node:test';
import assert from 'node:assert/strict';
import { castValue, valueFromJs, failValue, stringValue, checkValue, valueToJs, elementTypeOfNx, NxswError } from '../src/index.js';

test('casting to bool follows spec 2.11: "false"/"0"/"" are false, other strings true, numbers by truthiness', () => {
  const v = castValue(stringValue(['1', '0', 'true', 'false', 'True', 'False', 'TrUe', 'FaLsE', ' false ', '', 'no']), 'bool');
  assert.deepEqual([...(v.data as Uint8Array)], [1, 0, 1, 0, 1, 0, 1, 0, 0, 0, 1]);
  assert.deepEqual([...(valueFromJs([0, 2, -1.5], 'bool').data as Uint8Array)], [0, 1, 1]);
});

test('casting to strings: integers without a decimal point, floats like Python, booleans True/False', () => {
  assert.deepEqual(castValue(valueFromJs(1), 'string').data, ['1']);
  assert.deepEqual(castValue(valueFromJs(1.5), 'string').data, ['1.5']);
  assert.deepEqual(castValue({ type: 'float64', shape: [], data: new Float64Array([2]) }, 'string').data, ['2.0']);
  assert.deepEqual(castValue(valueFromJs(true), 'string').data, ['True']);
  assert.deepEqual(valueFromJs([1, true, 'x'], 'string').data, ['1', 'True', 'x']);
});

test('casting to numbers: numeric strings, empty string is 0, truncation toward zero, range errors', () => {
  assert.deepEqual([...(castValue(stringValue('11'), 'int32').data as Int32Array)], [11]);
  assert.deepEqual([...(castValue(stringValue(''), 'float64').data as Float64Array)], [0]);
  assert.deepEqual([...(valueFromJs([1.7, -1.7], 'int16').data as Int16Array)], [1, -1]);
  assert.throws(() => castValue(stringValue('abc'), 'int64'), (e: unknown) => e instanceof NxswError && e.code === 'VALUE_INVALID' && /invalid literal for int64: 'abc'/.test(e.message));
  assert.throws(() => valueFromJs(300, 'uint8'), /300 is out of range for uint8 \[0, 255\]/);
  assert.throws(() => valueFromJs(-1, 'uint64'), /out of range for uint64/);
});

test('64-bit integers stay exact', () => {
  const big = castValue(stringValue('9007199254740993'), 'int64');
  assert.equal((big.data as BigInt64Array)[0], 9007199254740993n);
  const umax = castValue(stringValue('18446744073709551615'), 'uint64');
  assert.equal((umax.data as BigUint64Array)[0], 18446744073709551615n);
  assert.equal((valueFromJs(1234567890123456789n).data as BigInt64Array).length, 1);
});

test('shape inference from nested arrays; ragged arrays and objects are refused with the place', () => {
  const v = valueFromJs([[1, 2, 3], [4, 5, 6]]);
  assert.equal(v.type, 'int64');
  assert.deepEqual(v.shape, [2, 3]);
  assert.equal(valueFromJs([1, 2.5]).type, 'float64');
  assert.equal(valueFromJs(['a', 1]).type, 'string');
  assert.deepEqual(valueFromJs([]).shape, [0]);
  assert.throws(() => valueFromJs([[1, 2], [3]]), /ragged array: value\[1\] should have 2 elements/);
  assert.throws(() => valueFromJs([1, [2]]), /ragged array: value\[1\] has more nesting/);
  assert.throws(() => valueFromJs({ a: 1 }), /an object is not a value/);
  assert.throws(() => valueFromJs(null), /the value is null/);
  assert.deepEqual(valueToJs(v), [[1, 2, 3], [4, 5, 6]]);
});

test('canfail sentinels (spec 6.2)', () => {
  assert.deepEqual([...(failValue('int32').data as Int32Array)], [2147483647]);
  assert.deepEqual([...(failValue('uint16', [3]).data as Uint16Array)], [65535, 65535, 65535]);
  assert.equal((failValue('uint64').data as BigUint64Array)[0], 18446744073709551615n);
  assert.equal((failValue('float64').data as Float64Array)[0], 1.7976931348623157e308);
  assert.equal((failValue('float32').data as Float32Array)[0], 3.4028234663852886e38);
  assert.deepEqual(failValue('string', [2]).data, ['', '']);
  assert.deepEqual([...(failValue('bool').data as Uint8Array)], [0]);
});

test('NX type names and value checks', () => {
  assert.equal(elementTypeOfNx('NX_POSINT'), 'uint64');
  assert.equal(elementTypeOfNx(undefined), 'string');
  assert.equal(elementTypeOfNx('NX_DATE_TIME'), 'string');
  assert.throws(() => elementTypeOfNx('NX_COMPLEX'), /unsupported NeXus type 'NX_COMPLEX'/);
  assert.throws(() => checkValue({ type: 'float64', shape: [2, 2], data: new Float64Array(3) }), /3 elements for shape \[2,2\]/);
});
