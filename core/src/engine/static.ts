/**
 * Values written at configuration time: static field and attribute text (spec 2.4) and the XML
 * attributes of <group>/<field> that become HDF5 attributes with a fixed type (spec 2.3).
 */
import { castValue, stringValue, type ElementType, type NxValue } from '../api/values.js';

/** Parses trimmed text: rank 0 whole text, rank 1 whitespace-separated, rank 2 lines of those. */
export function parseStaticText(text: string, rank: number, type: ElementType): NxValue {
  const t = text.trim();
  if (rank === 0) return castValue(stringValue(t), type);
  if (rank === 1) {
    const items = t === '' ? [] : t.split(/\s+/);
    return castValue(stringValue(items, [items.length]), type);
  }
  const rows = t.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').map((l) => l.split(/\s+/));
  const cols = rows[0]?.length ?? 0;
  const flat: string[] = [];
  for (const r of rows) {
    if (r.length !== cols) throw new Error(`the rows of the text have different lengths (${cols} and ${r.length})`);
    for (const x of r) flat.push(x); // not push(...r): a long row would overflow the stack
  }
  return castValue(stringValue(flat, [rows.length, cols]), type);
}

const INT64_ATTRS = new Set(['signal', 'axis', 'offset', 'stride', 'restricts', 'minOccus', 'maxOccus']);
const BOOL_ATTRS = new Set(['ignoreExtraGroups', 'ignoreExtraFields', 'ignoreExtraAttributes']);

/** An XML attribute of a group/field as the typed HDF5 attribute value the reference writes. */
export function typedXmlAttribute(name: string, raw: string): NxValue {
  const v = raw.trim();
  // modern NeXus spells @signal / @axes as names ("counter1"); only numbers become integers
  const integer = /^[+-]?\d+$/.test(v);
  if (INT64_ATTRS.has(name) && integer) return castValue(stringValue(v), 'int64');
  if (name === 'primary' && integer) return castValue(stringValue(v), 'int32');
  if (BOOL_ATTRS.has(name)) return castValue(stringValue(v), 'bool');
  if (name === 'vector') {
    const items = v === '' ? [] : v.split(/\s+/);
    return castValue(stringValue(items, [items.length]), 'float64');
  }
  return stringValue(raw);
}

