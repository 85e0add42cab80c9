/** Tango enumerations: the IDL enums and cppTango's CmdArgType numbering (used by data_type/in_type/out_type). */

export enum CmdArgType {
  DevVoid = 0, DevBoolean = 1, DevShort = 2, DevLong = 3, DevFloat = 4, DevDouble = 5, DevUShort = 6, DevULong = 7,
  DevString = 8, DevVarCharArray = 9, DevVarShortArray = 10, DevVarLongArray = 11, DevVarFloatArray = 12,
  DevVarDoubleArray = 13, DevVarUShortArray = 14, DevVarULongArray = 15, DevVarStringArray = 16,
  DevVarLongStringArray = 17, DevVarDoubleStringArray = 18, DevState = 19, ConstDevString = 20,
  DevVarBooleanArray = 21, DevUChar = 22, DevLong64 = 23, DevULong64 = 24, DevVarLong64Array = 25,
  DevVarULong64Array = 26, DevInt = 27, DevEncoded = 28, DevEnum = 29, DevPipeBlob = 30, DevVarStateArray = 31,
}

/** The AttrValUnion discriminator (a different numbering from CmdArgType). */
export enum AttributeDataType {
  ATT_BOOL = 0, ATT_SHORT = 1, ATT_LONG = 2, ATT_LONG64 = 3, ATT_FLOAT = 4, ATT_DOUBLE = 5, ATT_UCHAR = 6,
  ATT_USHORT = 7, ATT_ULONG = 8, ATT_ULONG64 = 9, ATT_STRING = 10, ATT_STATE = 11, DEVICE_STATE = 12,
  ATT_ENCODED = 13, ATT_NO_DATA = 14,
}

export enum DevState {
  ON = 0, OFF = 1, CLOSE = 2, OPEN = 3, INSERT = 4, EXTRACT = 5, MOVING = 6, STANDBY = 7, FAULT = 8, INIT = 9,
  RUNNING = 10, ALARM = 11, DISABLE = 12, UNKNOWN = 13,
}
export const DEV_STATE_NAMES = ['ON', 'OFF', 'CLOSE', 'OPEN', 'INSERT', 'EXTRACT', 'MOVING', 'STANDBY', 'FAULT', 'INIT', 'RUNNING', 'ALARM', 'DISABLE', 'UNKNOWN'];

export enum AttrQuality { ATTR_VALID = 0, ATTR_INVALID = 1, ATTR_ALARM = 2, ATTR_CHANGING = 3, ATTR_WARNING = 4 }
export enum AttrWriteType { READ = 0, READ_WITH_WRITE = 1, WRITE = 2, READ_WRITE = 3, WT_UNKNOWN = 4 }
export enum AttrDataFormat { SCALAR = 0, SPECTRUM = 1, IMAGE = 2, FMT_UNKNOWN = 3 }
export enum DevSource { DEV = 0, CACHE = 1, CACHE_DEV = 2 }
export enum ErrSeverity { WARN = 0, ERR = 1, PANIC = 2 }
export enum DispLevel { OPERATOR = 0, EXPERT = 1, DL_UNKNOWN = 2 }
export enum LockerLanguage { CPP = 0, JAVA = 1 }

/** CmdArgType of the scalar element an AttrValUnion member carries (for the union → data_type direction). */
export const UNION_TO_CMDARG: Record<AttributeDataType, CmdArgType> = {
  [AttributeDataType.ATT_BOOL]: CmdArgType.DevBoolean,
  [AttributeDataType.ATT_SHORT]: CmdArgType.DevShort,
  [AttributeDataType.ATT_LONG]: CmdArgType.DevLong,
  [AttributeDataType.ATT_LONG64]: CmdArgType.DevLong64,
  [AttributeDataType.ATT_FLOAT]: CmdArgType.DevFloat,
  [AttributeDataType.ATT_DOUBLE]: CmdArgType.DevDouble,
  [AttributeDataType.ATT_UCHAR]: CmdArgType.DevUChar,
  [AttributeDataType.ATT_USHORT]: CmdArgType.DevUShort,
  [AttributeDataType.ATT_ULONG]: CmdArgType.DevULong,
  [AttributeDataType.ATT_ULONG64]: CmdArgType.DevULong64,
  [AttributeDataType.ATT_STRING]: CmdArgType.DevString,
  [AttributeDataType.ATT_STATE]: CmdArgType.DevState,
  [AttributeDataType.DEVICE_STATE]: CmdArgType.DevState,
  [AttributeDataType.ATT_ENCODED]: CmdArgType.DevEncoded,
  [AttributeDataType.ATT_NO_DATA]: CmdArgType.DevVoid,
};

/** AttrValUnion member for an attribute data_type (CmdArgType). DevEnum attributes travel as ATT_SHORT. */
export function unionTypeFor(dataType: CmdArgType): AttributeDataType {
  switch (dataType) {
    case CmdArgType.DevBoolean: return AttributeDataType.ATT_BOOL;
    case CmdArgType.DevShort: case CmdArgType.DevEnum: return AttributeDataType.ATT_SHORT;
    case CmdArgType.DevLong: return AttributeDataType.ATT_LONG;
    case CmdArgType.DevLong64: return AttributeDataType.ATT_LONG64;
    case CmdArgType.DevFloat: return AttributeDataType.ATT_FLOAT;
    case CmdArgType.DevDouble: return AttributeDataType.ATT_DOUBLE;
    case CmdArgType.DevUChar: return AttributeDataType.ATT_UCHAR;
    case CmdArgType.DevUShort: return AttributeDataType.ATT_USHORT;
    case CmdArgType.DevULong: return AttributeDataType.ATT_ULONG;
    case CmdArgType.DevULong64: return AttributeDataType.ATT_ULONG64;
    case CmdArgType.DevString: return AttributeDataType.ATT_STRING;
    case CmdArgType.DevState: return AttributeDataType.ATT_STATE;
    case CmdArgType.DevEncoded: return AttributeDataType.ATT_ENCODED;
  }
  throw new TypeError(`${CmdArgType[dataType] ?? dataType} is not an attribute data type`);
}
