/**
 * What a NeXus file holds (or will hold), as the validator sees it: groups with their class,
 * fields with element type, rank and shape, attributes, and values only on demand. Built from a
 * configuration (from-plan.ts) or from a written file (from-file.ts), so both are checked by the
 * same rules.
 */
import type { ElementType } from '../api/values.js';

/** where an object is: a configuration's line, column and element path, or a path in a file */
export interface Where {
  readonly line?: number;
  readonly column?: number;
  readonly path: string;
}

export interface ObservedAttribute {
  readonly name: string;
  /** undefined: not known before the scan (a datasource) or not representable */
  readonly type: ElementType | undefined;
  /** the values as text, when known without reading bulk data */
  values(): readonly string[] | undefined;
  readonly where: Where;
}

export interface ObservedField {
  readonly kind: 'field';
  readonly name: string;
  readonly type: ElementType | undefined;
  /** how the type is spelled where it comes from: NX_FLOAT in a configuration, float64 in a file */
  readonly typeLabel: string;
  /** the rank in the file; undefined when unknown */
  readonly rank: number | undefined;
  /** lengths per axis in the file; undefined entries: not known before the scan */
  readonly shape: readonly (number | undefined)[] | undefined;
  /**
   * before the scan, for a STEP field: the axis that grows with the records and the record stream
   * it follows (its trigger; '' for the scan's own records). Fields of one stream get the same length there.
   */
  readonly recordAxis?: { readonly axis: number; readonly stream: string };
  readonly attributes: ReadonlyMap<string, ObservedAttribute>;
  values(): readonly string[] | undefined;
  readonly where: Where;
  /** for a link: the path in the file of the object it points at */
  readonly linkTarget?: string;
}

export interface ObservedGroup {
  readonly kind: 'group';
  readonly name: string;
  readonly nxClass: string | undefined;
  readonly attributes: ReadonlyMap<string, ObservedAttribute>;
  readonly children: readonly ObservedNode[];
  readonly where: Where;
  readonly linkTarget?: string;
}

/** a link whose target is not known (from a datasource, or into another file) */
export interface ObservedOpaque {
  readonly kind: 'opaque';
  readonly name: string;
  readonly reason: string;
  readonly where: Where;
}

export type ObservedNode = ObservedGroup | ObservedField | ObservedOpaque;

export function formatWhere(w: Where): string {
  return w.line === undefined ? w.path : `line ${w.line}, column ${w.column ?? 0}, at ${w.path}`;
}
