/**
 * Command arguments: Tango values ↔ the CORBA `any` of command_inout, with the exact TypeCodes
 * cppTango expects (bare kinds for scalars, aliases of sequences for DevVar…Array, structs for
 * DevVarLongStringArray/DevVarDoubleStringArray/DevEncoded, the DevState enum).
 */
import { CmdArgType, DEV_STATE_NAMES } from './enums.js';
import { AnyValue, tc, TCKind, TypeCode, unalias } from './typecode.js';

const id = (name: string) => `IDL:Tango/${name}:1.0`;
const alias = (name: string, content: TypeCode) => tc.alias(id(name), name, content);

export const DEV_STATE_TC = tc.enum(id('DevState'), 'DevState', DEV_STATE_NAMES);

const ARRAY_ELEMENT: Partial<Record<CmdArgType, [string, TypeCode]>> = {
  [CmdArgType.DevVarCharArray]: ['DevVarCharArray', tc.octet],
  [CmdArgType.DevVarShortArray]: ['DevVarShortArray', tc.short],
  [CmdArgType.DevVarLongArray]: ['DevVarLongArray', tc.long],
  [CmdArgType.DevVarFloatArray]: ['DevVarFloatArray', tc.float],
  [CmdArgType.DevVarDoubleArray]: ['DevVarDoubleArray', tc.double],
  [CmdArgType.DevVarUShortArray]: ['DevVarUShortArray', tc.ushort],
  [CmdArgType.DevVarULongArray]: ['DevVarULongArray', tc.ulong],
  [CmdArgType.DevVarStringArray]: ['DevVarStringArray', tc.string],
  [CmdArgType.DevVarBooleanArray]: ['DevVarBooleanArray', tc.boolean],
  [CmdArgType.DevVarLong64Array]: ['DevVarLong64Array', tc.longlong],
  [CmdArgType.DevVarULong64Array]: ['DevVarULong64Array', tc.ulonglong],
  [CmdArgType.DevVarStateArray]: ['DevVarStateArray', DEV_STATE_TC],
};

const DEV_ENCODED_TC = tc.struct(id('DevEncoded'), 'DevEncoded', [
  { name: 'encoded_format', type: alias('DevString', tc.string) },
  { name: 'encoded_data', type: alias('DevVarCharArray', tc.sequence(tc.octet)) },
]);

/** The array type whose elements are `scalar` (DevDouble → DevVarDoubleArray …); used for attribute anys. */
const ARRAY_OF: Partial<Record<CmdArgType, CmdArgType>> = {
  [CmdArgType.DevBoolean]: CmdArgType.DevVarBooleanArray,
  [CmdArgType.DevShort]: CmdArgType.DevVarShortArray,
  [CmdArgType.DevEnum]: CmdArgType.DevVarShortArray,
  [CmdArgType.DevLong]: CmdArgType.DevVarLongArray,
  [CmdArgType.DevFloat]: CmdArgType.DevVarFloatArray,
  [CmdArgType.DevDouble]: CmdArgType.DevVarDoubleArray,
  [CmdArgType.DevUShort]: CmdArgType.DevVarUShortArray,
  [CmdArgType.DevULong]: CmdArgType.DevVarULongArray,
  [CmdArgType.DevString]: CmdArgType.DevVarStringArray,
  [CmdArgType.DevUChar]: CmdArgType.DevVarCharArray,
  [CmdArgType.DevLong64]: CmdArgType.DevVarLong64Array,
  [CmdArgType.DevULong64]: CmdArgType.DevVarULong64Array,
  [CmdArgType.DevState]: CmdArgType.DevVarStateArray,
};

/** TypeCode of the sequence that carries attribute data of element type `t` (IDL 1–3 anys). */
export function devVarTypeCode(t: CmdArgType): TypeCode {
  if (t === CmdArgType.DevEncoded) return alias('DevVarEncodedArray', tc.sequence(DEV_ENCODED_TC));
  const arr = ARRAY_OF[t] ?? t;
  return commandTypeCode(arr);
}

/** The TypeCode cppTango uses in a command `any` for a CmdArgType. */
export function commandTypeCode(t: CmdArgType): TypeCode {
  switch (t) {
    case CmdArgType.DevVoid: return tc.null;
    case CmdArgType.DevBoolean: return tc.boolean;
    case CmdArgType.DevShort: return tc.short;
    case CmdArgType.DevLong: case CmdArgType.DevInt: return tc.long;
    case CmdArgType.DevFloat: return tc.float;
    case CmdArgType.DevDouble: return tc.double;
    case CmdArgType.DevUShort: return tc.ushort;
    case CmdArgType.DevULong: return tc.ulong;
    case CmdArgType.DevString: case CmdArgType.ConstDevString: return tc.string;
    case CmdArgType.DevUChar: return tc.octet;
    case CmdArgType.DevLong64: return tc.longlong;
    case CmdArgType.DevULong64: return tc.ulonglong;
    case CmdArgType.DevState: return DEV_STATE_TC;
    case CmdArgType.DevEncoded: return DEV_ENCODED_TC;
    case CmdArgType.DevVarLongStringArray:
      return tc.struct(id('DevVarLongStringArray'), 'DevVarLongStringArray', [
        { name: 'lvalue', type: commandTypeCode(CmdArgType.DevVarLongArray) },
        { name: 'svalue', type: commandTypeCode(CmdArgType.DevVarStringArray) },
      ]);
    case CmdArgType.DevVarDoubleStringArray:
      return tc.struct(id('DevVarDoubleStringArray'), 'DevVarDoubleStringArray', [
        { name: 'dvalue', type: commandTypeCode(CmdArgType.DevVarDoubleArray) },
        { name: 'svalue', type: commandTypeCode(CmdArgType.DevVarStringArray) },
      ]);
  }
  const a = ARRAY_ELEMENT[t];
  if (a) return alias(a[0], tc.sequence(a[1]));
  throw new TypeError(`command argument type ${CmdArgType[t] ?? t} is not supported`);
}

export interface LongStringArray { lvalue: Int32Array | number[]; svalue: string[] }
export interface DoubleStringArray { dvalue: Float64Array | number[]; svalue: string[] }

/**
 * Builds the `any` for an argument. Values: number/bigint/boolean/string for scalars, arrays or
 * typed arrays for DevVar…Array, {lvalue, svalue} / {dvalue, svalue}, {format, data} for DevEncoded,
 * DevState as its number or name.
 */
export function encodeCommandArg(t: CmdArgType, value: unknown): AnyValue {
  const type = commandTypeCode(t);
  if (t === CmdArgType.DevVoid) return { type, value: null };
  if (value === undefined) throw new TypeError(`command argument of type ${CmdArgType[t]} is missing`);
  if (t === CmdArgType.DevEncoded) {
    const e = value as { format: string; data: Uint8Array };
    return { type, value: { encoded_format: e?.format, encoded_data: e?.data } };
  }
  if (t === CmdArgType.DevBoolean && typeof value !== 'boolean') throw new TypeError(`DevBoolean argument: expected a boolean, got ${typeof value}`);
  return { type, value };
}

/** Converts a command result `any` to a plain value (inverse of encodeCommandArg; DevVoid → undefined). */
export function decodeCommandResult(a: AnyValue): unknown {
  const t = unalias(a.type);
  if (t.kind === TCKind.null || t.kind === TCKind.void) return undefined;
  if (t.kind === TCKind.struct && t.id === id('DevEncoded')) {
    const v = a.value as { encoded_format: string; encoded_data: Uint8Array };
    return { format: v.encoded_format, data: v.encoded_data };
  }
  return a.value;
}
