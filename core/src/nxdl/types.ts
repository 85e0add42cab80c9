/**
 * NXDL types (nxdlTypes.xsd) against the element types a file stores, and the value rules some
 * of them carry (ISO 8601 dates, positive integers).
 */
import { isIntegerType, isNumericType, type ElementType } from '../api/values.js';

const FLOATS = new Set<ElementType>(['float32', 'float64']);

/** Can a field of `actual` element type hold the NXDL type? undefined: the NXDL type is not one this checks. */
export function typeFits(nxdlType: string, actual: ElementType): boolean | undefined {
  switch (nxdlType) {
    case 'NX_CHAR':
    case 'NX_DATE_TIME':
      return actual === 'string';
    case 'NX_NUMBER':
      return isNumericType(actual);
    case 'NX_INT':
    case 'NX_POSINT':
      return isIntegerType(actual);
    case 'NX_UINT':
      return actual.startsWith('uint');
    case 'NX_FLOAT':
    case 'NX_QUATERNION':
      return FLOATS.has(actual);
    case 'NX_BOOLEAN':
      // h5py and the reference store booleans as an 8-bit enum or integer
      return actual === 'bool' || actual === 'int8' || actual === 'uint8';
    case 'NX_CHAR_OR_NUMBER':
      return actual === 'string' || isNumericType(actual);
    case 'NX_BINARY':
      return actual === 'uint8' || actual === 'int8';
    case 'NX_COMPLEX':
    case 'NX_CCOMPLEX':
    case 'NX_PCOMPLEX':
      return false; // nxsw writes no complex numbers
    default:
      return undefined;
  }
}

// ISO 8601 date and time, as NeXus asks for it (a date, optionally a time, optionally a zone)
const ISO8601 = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)?)?$/;

/** a message when a value breaks its NXDL type's rule, else undefined */
export function valueProblem(nxdlType: string, value: string): string | undefined {
  if (nxdlType === 'NX_DATE_TIME' && !ISO8601.test(value.trim())) return `'${value}' is not an ISO 8601 date and time`;
  if (nxdlType === 'NX_POSINT' && !(Number(value) > 0)) return `${value} is not a positive integer`;
  return undefined;
}
