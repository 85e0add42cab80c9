/**
 * The checks every sink makes of names and values before its format library sees them, so that
 * all sinks refuse the same input with the same message (naming the file, the object and why).
 */
import { NxswError } from './errors.js';
import { castValue, checkValue, sizeOf, type ElementType, type NxValue } from './values.js';

/** The absolute path of `name` below the group at `parent`. */
export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** Refuses a group, field or link name a file cannot hold as one path component. */
export function checkNodeName(file: string, parent: string, name: string, what: string): void {
  if (typeof name !== 'string' || name === '' || name.includes('/') || name === '.' || name === '..') {
    throw new NxswError('VALUE_INVALID', `${file}: invalid ${what} name '${String(name)}' in ${parent} (empty, '.', '..' or containing '/')`);
  }
}

/** A dataset a value goes to: `${file}: ${path}` in messages. */
export interface FieldTarget {
  readonly file: string;
  readonly path: string;
  readonly type: ElementType;
  /** the dataset's rank (0 for a scalar dataspace) */
  readonly rank: number;
  /** true for a dataset that does not grow (not chunked): it holds one element */
  readonly scalar: boolean;
}

/** The value checked and cast to the dataset's type (VALUE_INVALID naming the dataset when it cannot be). */
function fieldValue(value: NxValue, f: FieldTarget, what: 'write' | 'append'): NxValue {
  checkValue(value, `${what} for ${f.path}`);
  if (value.type === f.type) return value;
  try {
    return castValue(value, f.type);
  } catch (e) {
    throw new NxswError('VALUE_INVALID', `${f.file}: ${f.path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * A whole value for `SinkField.write`: cast to the dataset's type; for a growing dataset its shape
 * is given the dataset's rank (leading axes of length 1); a scalar dataset takes one element.
 */
export function valueToWrite(value: NxValue, f: FieldTarget): NxValue {
  const v = fieldValue(value, f, 'write');
  if (f.scalar) {
    if (sizeOf(v.shape) !== 1) throw new NxswError('VALUE_INVALID', `${f.file}: ${f.path}: a scalar dataset cannot hold a value of shape [${v.shape.join(',')}]`);
    return v;
  }
  if (v.shape.length > f.rank) throw new NxswError('VALUE_INVALID', `${f.file}: ${f.path}: a value of shape [${v.shape.join(',')}] does not fit a dataset of rank ${f.rank}`);
  if (v.shape.length < f.rank) return { ...v, shape: [...new Array<number>(f.rank - v.shape.length).fill(1), ...v.shape] };
  return v;
}

/** A block for `SinkField.append`: cast to the dataset's type, of shape [n, ...frame] with the dataset's rank. */
export function blockToAppend(block: NxValue, f: FieldTarget): NxValue {
  const b = fieldValue(block, f, 'append');
  if (f.scalar) throw new NxswError('VALUE_INVALID', `${f.file}: ${f.path}: cannot append to a scalar dataset`);
  if (b.shape.length !== f.rank) {
    throw new NxswError('VALUE_INVALID', `${f.file}: ${f.path}: a block of shape [${b.shape.join(',')}] does not fit a dataset of rank ${f.rank} (expected [n, ...frame] with ${f.rank - 1} frame axes)`);
  }
  return b;
}
