/**
 * Runtime elements: what a pool reads and writes. Each element knows its source, its place in
 * the file (by path, re-resolved when the writer switches to another split file) and how to
 * store a value or a canfail sentinel.
 */
import { NxswError } from '../api/errors.js';
import type { DataSource, SinkField, SinkFile, SinkGroup, SinkNode } from '../api/extensions.js';
import { castValue, failValue, stringValue, type ElementType, type NxValue } from '../api/values.js';

/** Resolves sink objects by absolute path in the current file (cached per file). */
export class FileBinding {
  private file: SinkFile | undefined;
  private cache = new Map<string, SinkNode>();
  /** names below a group, listed once per file (asking the sink for each link would be quadratic) */
  private names = new Map<string, Set<string>>();

  constructor(file: SinkFile) {
    this.use(file);
  }

  use(file: SinkFile): void {
    this.file = file;
    this.cache.clear();
    this.names.clear();
  }

  /** whether a group holds `name` (link, group or dataset) */
  has(groupPath: string, name: string): boolean {
    let names = this.names.get(groupPath);
    if (!names) this.names.set(groupPath, (names = new Set(this.group(groupPath).keys())));
    return names.has(name);
  }

  /** records a name the engine just created below a group */
  added(groupPath: string, name: string): void {
    this.names.get(groupPath)?.add(name);
  }

  get current(): SinkFile {
    if (!this.file) throw new NxswError('WRONG_STATE', 'no file is open');
    return this.file;
  }

  group(path: string): SinkGroup {
    return this.node(path, 'group') as SinkGroup;
  }

  field(path: string, recordAxis = 0): SinkField {
    return this.node(path, 'field', recordAxis) as SinkField;
  }

  /** keeps an object the engine just created, so it is not reopened */
  remember(path: string, node: SinkNode): void {
    this.cache.set(path, node);
    const slash = path.lastIndexOf('/');
    this.added(path.slice(0, slash) || '/', path.slice(slash + 1));
  }

  node(path: string, kind: 'group' | 'field', recordAxis = 0): SinkNode {
    const hit = this.cache.get(path);
    if (hit) return hit;
    const parts = path.split('/').filter(Boolean);
    let g: SinkGroup = this.current.root;
    for (let i = 0; i < parts.length; i++) {
      const last = i === parts.length - 1;
      if (last && kind === 'field') {
        const f = g.openField(parts[i]!, { recordAxis });
        if (!f) throw new NxswError('FILE_ERROR', `${path} is not a dataset in ${this.current.path}`);
        this.cache.set(path, f);
        return f;
      }
      const next = g.openGroup(parts[i]!);
      if (!next) throw new NxswError('FILE_ERROR', `${path} is not a group in ${this.current.path}`);
      g = next;
    }
    this.cache.set(path, g);
    return g;
  }
}

/** Appends the canfail markers of spec 6.2 to an object. */
export function markFailed(node: SinkNode, message: string): void {
  node.setAttribute('nexdatas_canfail', stringValue('FAILED'));
  const prior = node.getAttribute('nexdatas_canfail_error');
  const text = prior && prior.type === 'string' && (prior.data as string[])[0] ? `${(prior.data as string[])[0]}\n${message}` : message;
  node.setAttribute('nexdatas_canfail_error', stringValue(text));
}

export interface Acquirable {
  /** NeXus path with classes, for messages: /entry1:NXentry/.../counter1 or ...@attr */
  readonly label: string;
  readonly source: DataSource;
  readonly canfail: boolean;
  readonly timeoutMs: number;
  /** the element type values are stored as (a hint for sources) */
  readonly want?: ElementType;
  store(value: NxValue): void;
  /** writes the canfail sentinel and marks the object */
  fail(message: string): void;
  /** a non-canfail failure: keeps record axes aligned across fields */
  failHard?(): void;
}

export interface FieldLayout {
  readonly type: ElementType;
  /** declared rank of one value (without the record axis) */
  readonly rank: number;
  /** declared lengths, undefined where unknown */
  readonly dims: readonly (number | undefined)[];
  /** 'append' for STEP, 'write' for INIT/FINAL */
  readonly storage: 'append' | 'write';
  /** index of the record axis in the dataset (append only) */
  readonly recordAxis: number;
}

/**
 * A value of lower rank than the field gets trailing axes of length 1: a spectrum of n values in a
 * rank-2 field is a column n×1, as the reference stores it. `leading` axes (a block's one step)
 * go in front.
 */
function fitRank(shape: readonly number[], rank: number, ...leading: number[]): number[] {
  // one array, no spreads: toBlock runs this for every field of every Record
  const out = leading;
  for (let i = 0; i < Math.max(rank, shape.length); i++) out.push(i < shape.length ? shape[i]! : 1);
  return out;
}

/** Brings a value to the per-step rank: returns a block [n, ...frame]. */
function toBlock(v: NxValue, rank: number, label: string): NxValue {
  const r = v.shape.length;
  if (r === rank + 1) {
    // block record: several steps at once (spec 3.3); a block of none would silently drop this
    // element's row and misalign it with the other STEP fields
    if (v.shape[0] === 0) throw new NxswError('VALUE_INVALID', `${label}: an empty list is not a value for one step (a block of steps needs at least one)`);
    return v;
  }
  if (r <= rank) return { ...v, shape: fitRank(v.shape, rank, 1) };
  throw new NxswError('VALUE_INVALID', `${label}: a value of rank ${r} (shape [${v.shape.join(',')}]) does not fit a field of rank ${rank} (rank ${rank + 1} would be a block of steps)`);
}

/**
 * The block shape a STEP block must have to be appended to a dataset of shape `extent` (record
 * axis `axis`; 0 elsewhere: a length not known yet), or undefined when it fits. While the frame
 * is `open` (no row stored yet) a value longer than a declared length sets it, as the reference
 * grows its dataset at the first record; a shorter value never fits (the reference pads it;
 * padding would pass fill values off as data), and once rows are stored the frame is fixed (the
 * reference fails a longer value there too). Allocates nothing when the block fits (every Record).
 */
export function frameMismatch(block: readonly number[], extent: readonly number[], axis: number, open: boolean): number[] | undefined {
  const fits = (v: number, f: number) => v === f || f === 0 || (open && v > f);
  let ok = block.length === extent.length;
  for (let i = 1, j = 0; ok && i < block.length; i++, j++) {
    if (j === axis) j++;
    ok = fits(block[i]!, extent[j]!);
  }
  if (ok) return undefined;
  const frame = extent.filter((_, j) => j !== axis);
  if (block.length !== extent.length) return [block[0]!, ...frame];
  return [block[0]!, ...frame.map((f, k) => (fits(block[k + 1]!, f) ? block[k + 1]! : f))];
}

/** h5py's wording for a selection that does not take the value (the reference's error text) */
function broadcastError(label: string, value: readonly number[], target: readonly number[]): NxswError {
  const tuple = (s: readonly number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);
  return new NxswError('VALUE_INVALID', `${label}: Can't broadcast ${tuple(value)} -> ${tuple(target)}: the value's shape does not match the field's dimensions`);
}

export class FieldElement implements Acquirable {
  /** the fill rows appended to a field object (a split file's field is a new object) */
  private filled: { field: SinkField; rows: number } | undefined;

  constructor(
    readonly label: string,
    private readonly path: string,
    private readonly binding: FileBinding,
    private readonly layout: FieldLayout,
    readonly source: DataSource,
    readonly canfail: boolean,
    readonly timeoutMs: number,
  ) {}

  get want(): ElementType {
    return this.layout.type;
  }

  private get field(): SinkField {
    return this.binding.field(this.path, this.layout.recordAxis);
  }

  store(value: NxValue): void {
    const v = castValue(value, this.layout.type);
    if (this.layout.storage === 'append') {
      const block = toBlock(v, this.layout.rank, this.label);
      const field = this.field;
      const axis = this.layout.recordAxis;
      const target = frameMismatch(block.shape, field.shape, axis, this.frameOpen(field));
      if (target) throw broadcastError(this.label, block.shape, target);
      const fills = field.rows;
      if (fills > 0 && this.frameOpen(field) && block.shape.some((d, i) => i > 0 && d !== field.shape[i <= axis ? i - 1 : i])) {
        // the first value sets lengths the fill rows before it did not know: they become fills of the new frame
        const shape = block.shape.slice(1);
        shape.splice(axis, 0, fills);
        field.write(failValue(this.layout.type, shape));
      }
      field.append(block);
      return;
    }
    // a written-once value is stored in its own shape, declared lengths or not, as the reference does
    this.field.write(this.writeShape(v));
  }

  /**
   * INIT/FINAL: a non-string scalar is stored as shape (1,), a string scalar as an HDF5 scalar; a
   * value of lower rank than the field gets trailing axes of 1
   */
  private writeShape(v: NxValue): NxValue {
    if (v.shape.length === 0 && this.layout.type !== 'string') return { ...v, shape: [1] };
    if (v.shape.length < this.layout.rank) return { ...v, shape: fitRank(v.shape, this.layout.rank) };
    return v;
  }

  private frameShape(): number[] {
    const f = this.field;
    if (this.layout.storage === 'append') {
      const shape = [...f.shape];
      shape.splice(this.layout.recordAxis, 1);
      return shape.map((d, i) => (d > 0 ? d : this.layout.dims[i] ?? 1));
    }
    if (this.layout.rank === 0) return this.layout.type === 'string' ? [] : [1];
    return this.layout.dims.map((d, i) => d ?? (f.shape[i]! > 0 ? f.shape[i]! : 1));
  }

  fail(message: string): void {
    if (this.layout.storage === 'append') this.appendFill();
    else this.field.write(failValue(this.layout.type, this.frameShape()));
    markFailed(this.field, message);
  }

  failHard(): void {
    if (this.layout.storage === 'append') this.appendFill();
  }

  /** one row of the canfail sentinel in the current frame */
  private appendFill(): void {
    const field = this.field;
    const fill = failValue(this.layout.type, this.frameShape());
    field.append({ ...fill, shape: [1, ...fill.shape] });
    if (this.filled?.field !== field) this.filled = { field, rows: 0 };
    this.filled.rows++;
  }

  /**
   * Whether no value has been stored in the current field yet, only fill rows: lengths left open
   * are then still open (a fill row takes length 1 there and is widened when the first value
   * sets the length, as the reference widens its canfail rows).
   */
  private frameOpen(field: SinkField): boolean {
    return field.rows === (this.filled?.field === field ? this.filled.rows : 0);
  }
}

export class AttributeElement implements Acquirable {
  constructor(
    readonly label: string,
    private readonly ownerPath: string,
    private readonly ownerKind: 'group' | 'field',
    private readonly name: string,
    readonly want: ElementType,
    private readonly rank: number,
    private readonly dims: readonly (number | undefined)[],
    private readonly binding: FileBinding,
    readonly source: DataSource,
    readonly canfail: boolean,
    readonly timeoutMs: number,
  ) {}

  private get owner(): SinkNode {
    return this.binding.node(this.ownerPath, this.ownerKind);
  }

  store(value: NxValue): void {
    this.owner.setAttribute(this.name, castValue(value, this.want));
  }

  fail(message: string): void {
    const shape = this.rank === 0 ? [] : this.dims.map((d) => d ?? 1);
    this.owner.setAttribute(this.name, failValue(this.want, shape));
    markFailed(this.owner, message);
  }
}

/** A link whose target comes from a datasource (spec 2.8). */
export class LinkElement implements Acquirable {
  constructor(
    readonly label: string,
    private readonly groupPath: string,
    private readonly name: string,
    private readonly binding: FileBinding,
    private readonly makeLink: (group: SinkGroup, name: string, target: string) => void,
    readonly source: DataSource,
    readonly canfail: boolean,
    readonly timeoutMs: number,
  ) {}

  store(value: NxValue): void {
    const target = (castValue(value, 'string').data as string[])[0]?.trim();
    // an empty target means no link, as in the reference (it links only a value that is true in
    // Python): nxstools' _nxdata templates give "" when the detector wrote no NeXus file
    if (!target) return;
    if (this.binding.has(this.groupPath, this.name)) return;
    this.makeLink(this.binding.group(this.groupPath), this.name, target);
    this.binding.added(this.groupPath, this.name);
  }

  fail(message: string): void {
    markFailed(this.binding.group(this.groupPath), message);
  }
}
