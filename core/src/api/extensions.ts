/**
 * The extension contracts. A plugin provides extensions of these kinds; the kernel keeps them in
 * its container under one injection token per kind (see kernel/registry.ts). The kernel names no
 * concrete source, sink or front end.
 */
import type { InjectionToken } from 'tsyringe';
import type { NxValue, ElementType } from './values.js';
import type { XmlElement } from './xml.js';
import type { ConfigError } from './errors.js';

export type ExtensionKind = 'datasource' | 'tag' | 'decoder' | 'sink' | 'frontend' | (string & {});

export interface ExtensionBase {
  readonly kind: ExtensionKind;
  /** the name the configuration uses: datasource type (CLIENT), tag name, encoding, format, front-end name */
  readonly name: string;
}

// ---------------------------------------------------------------------------------------------
// Data sources

export type Phase = 'INIT' | 'STEP' | 'FINAL' | 'CONFIG';

/** A JSON record from the client: `{"data": {...}, "triggers": [...], ...}` (spec 5). */
export interface JsonRecord {
  readonly data?: Readonly<Record<string, unknown>>;
  readonly triggers?: readonly string[];
  readonly [key: string]: unknown;
}

export interface ReadContext {
  readonly phase: Phase;
  /** -1 during INIT, 1..N during STEP, -2 during FINAL (spec 2.9.4) */
  readonly step: number;
  readonly globalJson: JsonRecord;
  readonly localJson: JsonRecord | undefined;
  /** aborted when the element's time limit is over; sources pass it to their I/O */
  readonly signal: AbortSignal;
  /** state shared by all sources of one writer session across records and entries (the "common block") */
  readonly shared: Map<string, unknown>;
  /** the open output file's root, for sources that write extra objects (expression scripts) */
  readonly file: SinkFile | undefined;
  /**
   * looks up a decoder by encoding name: a label the global JSON "decoders" maps, else an installed
   * decoder (throws a clear error when there is none); pass this context to its decode
   */
  decoder(name: string): Decoder;
  /** StepsPerFile splitting (spec 3.4): the current file's number (1.., 0 without splitting) and the steps per file */
  readonly split?: { readonly currentFileId: number; readonly stepsPerFile: number };
  /** the session's settings for sources, from its front end (e.g. `python`: the Tango property PythonInterpreter) */
  readonly settings?: SourceSettings;
}

/** What DataSourceType.vet may use: the session's settings and shared map (its Python worker, ...). */
export interface VetContext {
  readonly settings: SourceSettings;
  readonly shared: Map<string, unknown>;
  readonly signal?: AbortSignal;
}

/** Per-session settings for datasource types, by name (each type documents the ones it reads). */
export type SourceSettings = Readonly<Record<string, string>>;

export interface DataSource {
  /** how errors describe the source, e.g. "CLIENT record exp_c01" */
  describe(): string;
  /**
   * The value at this moment; throws an NxswError (DATA_NOT_FOUND, SOURCE_UNAVAILABLE, TIMEOUT ...).
   * `want` is the element type the engine will store it as: a source may produce that type
   * directly to spare a conversion (the engine casts whatever it gets).
   */
  read(ctx: ReadContext, want?: ElementType): Promise<NxValue>;
  /** releases what this source holds (not shared pools) */
  close?(): Promise<void>;
}

export interface SourceEnvironment {
  /** builds a nested datasource (for sources that compute from child sources) */
  createSource(element: XmlElement): DataSource;
}

export interface DataSourceType extends ExtensionBase {
  readonly kind: 'datasource';
  /**
   * Validates the `<datasource>` element and returns a ready source. Configuration errors throw a
   * ConfigError with code DATASOURCE_CONFIG naming the element's location.
   */
  create(element: XmlElement, env: SourceEnvironment): DataSource;
  /**
   * Creates a source from a class path that the global JSON "datasources" maps a type to
   * (`{"MYTYPE": "package.module.Class"}`, spec 2.9.5) when no installed type has that name. A
   * type that runs such classes (the Python plugin) implements it; the first one found is used.
   */
  createFromClass?(classPath: string, element: XmlElement, env: SourceEnvironment): DataSource;
  /**
   * Cheap checks of a `<datasource>` element when the configuration is set (XMLSettings), no I/O:
   * what a type can tell before a scan (e.g. its interpreter is missing). Throws a ConfigError.
   */
  check?(element: XmlElement, settings: SourceSettings): void;
  /**
   * Deeper checks of all `<datasource>` elements of this type in a configuration at once (the
   * engine calls it once per type, nested sources included), which may do I/O: e.g. PYEVAL
   * compiles every script in the session's Python worker. Returns the problems found, each a
   * located ConfigError; the caller decides what they mean (`nxsw check` fails, XMLSettings warns).
   */
  vet?(elements: readonly XmlElement[], ctx: VetContext): Promise<readonly ConfigError[]>;
  /**
   * Creates a decoder for a class path that the global JSON "decoders" maps an encoding label to
   * (`{"MYLABEL": "package.module.Class"}`) when it names no decoder of nxsw's. A type that runs
   * such classes (the Python plugin) implements it; the first one found is used. The session
   * calls it once per label and class and keeps the decoder for the session's life: at OpenEntry
   * (then also its `prepare`) for the labels the configuration names, else at the first value.
   */
  decoderFromClass?(classPath: string, label: string): Decoder;
  /** default per-read time limit in ms (the engine applies it through ReadContext.signal) */
  readonly defaultTimeoutMs?: number;
  /** closes shared pools and connections when the kernel stops */
  dispose?(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Decoders (DevEncoded)

/**
 * What a decoder may use besides the bytes: the session's shared map and settings (a decoder that
 * runs in a worker finds the session's worker through them) and the read's abort signal. Every
 * ReadContext is one, so a source passes its own.
 */
export type DecodeContext = Pick<ReadContext, 'shared' | 'settings' | 'signal'>;

export interface Decoder extends ExtensionBase {
  readonly kind: 'decoder';
  /**
   * The value of a DevEncoded (format string and bytes). A decoder that needs I/O (a Python
   * decoder class in the session's worker) returns a promise; callers always await the result.
   * Throws (or rejects) with an NxswError such as VALUE_INVALID naming the decoder.
   */
  decode(format: string, bytes: Uint8Array, ctx: DecodeContext): NxValue | Promise<NxValue>;
  /**
   * Optional: makes the decoder ready without decoding anything (a Python decoder class imported,
   * instantiated and checked in the session's worker), so that a decoder that cannot work fails
   * before the scan. The session calls it at OpenEntry, before anything is written, for the class
   * decoders the global JSON "decoders" maps a label to that the configuration names
   * (`encoding="LABEL"`). Rejects with a ConfigError (DATASOURCE_CONFIG) naming the label and the
   * class, or with the error that kept it from being made (TIMEOUT, SOURCE_UNAVAILABLE ...).
   */
  prepare?(ctx: DecodeContext): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Sinks

export interface FilterSpec {
  /** HDF5 filter id (1 = deflate, 2 = shuffle, 3 = fletcher32, 32008 = bitshuffle, ...) */
  readonly id: number;
  readonly cdValues?: readonly number[];
  /** an optional filter may be skipped by the sink when unavailable */
  readonly optional?: boolean;
}

export interface FieldSpec {
  readonly type: ElementType;
  /** initial extent */
  readonly shape: readonly number[];
  /** true: an HDF5 scalar dataspace (only for shape []) */
  readonly scalar?: boolean;
  /** index of the record axis for appended (STEP) data; undefined for written-once data */
  readonly recordAxis?: number;
  /** filter pipeline in order; empty for none */
  readonly filters?: readonly FilterSpec[];
  /** a hint: the expected frame shape (the value's shape without the record axis) */
  readonly frameShape?: readonly number[];
  /** a hint: the number of records the client announced for the scan (see chunkShape) */
  readonly expectedRecords?: number;
}

/**
 * A regular hyperslab, as HDF5's H5Sselect_hyperslab takes it. `count` entries of -1 mean
 * H5S_UNLIMITED (a mapping that grows with its source). stride and block default to 1.
 */
export interface Hyperslab {
  readonly start: readonly number[];
  readonly count: readonly number[];
  readonly stride?: readonly number[];
  readonly block?: readonly number[];
}

/** One mapping of a virtual dataset: a selection of a source dataset onto a selection of the virtual one. */
export interface VirtualMapping {
  /** the source file as the virtual dataset stores it ('.' for the same file); it may not exist yet */
  readonly file: string;
  /** the source dataset's absolute path inside that file */
  readonly dataset: string;
  /** the source dataset's shape (-1 for an unlimited axis); needed because the file may not exist yet */
  readonly sourceShape: readonly number[];
  /** selection in the source; omitted: the whole source dataset */
  readonly sourceSelection?: Hyperslab;
  /** selection in the virtual dataset, with as many elements as the source selection */
  readonly virtualSelection: Hyperslab;
}

export interface VirtualFieldSpec {
  readonly type: ElementType;
  /** the virtual dataset's extent */
  readonly shape: readonly number[];
  /** maximum extent (-1 unlimited); default: shape */
  readonly maxShape?: readonly number[];
  readonly mappings: readonly VirtualMapping[];
  /** the value read where no source maps (HDF5 fill value); default 0 */
  readonly fillValue?: number | bigint | string;
}

export interface SinkNode {
  /** absolute path in the file */
  readonly path: string;
  setAttribute(name: string, value: NxValue): void;
  getAttribute(name: string): NxValue | undefined;
  attributeNames(): string[];
}

export interface SinkGroup extends SinkNode {
  /** names of links, groups and datasets below */
  keys(): string[];
  openGroup(name: string): SinkGroup | undefined;
  createGroup(name: string): SinkGroup;
  /**
   * Opens an existing dataset. The record axis is not stored in the file, so the caller says
   * which axis appends grow (default: the axis of a field this file object already appends to,
   * else 0).
   */
  openField(name: string, options?: { readonly recordAxis?: number }): SinkField | undefined;
  createField(name: string, spec: FieldSpec): SinkField;
  createSoftLink(target: string, name: string): void;
  createHardLink(target: string, name: string): void;
  createExternalLink(file: string, target: string, name: string): void;
  /**
   * What the link `name` below this group points to: a soft link's target path, or an external
   * link's file and path inside it; undefined for a group or dataset stored here. Optional: for
   * readers of what was written (the SciCat metadata names external objects by their own name).
   */
  link?(name: string): { readonly file?: string; readonly path: string } | undefined;
  /**
   * Creates a virtual dataset (HDF5 VDS) over datasets in this or other files. A sink that
   * cannot store one leaves this undefined; callers then fail with a clear error naming the sink.
   */
  createVirtualField?(name: string, spec: VirtualFieldSpec): SinkField;
}

export interface SinkField extends SinkNode {
  readonly type: ElementType;
  /** current extent, including appended rows not yet written to the file */
  readonly shape: readonly number[];
  /** writes the whole value, resizing the dataset to the value's shape */
  write(value: NxValue): void;
  /**
   * Appends rows along the record axis. `block.shape` is [n, ...frame]: n rows of one frame each;
   * the sink places them along its record axis and grows the other axes to fit the frame. (The
   * engine sends only frames equal to the field's frame, or, while no row is stored or along
   * axes of length 0, the frame that sets it: a sink is never asked to pad data.)
   */
  append(block: NxValue): void;
  /** the number of rows appended so far (length of the record axis) */
  readonly rows: number;
  /**
   * The whole value as stored, appended rows included (for steps that read what was written,
   * such as the SciCat metadata at CloseEntry). A sink that cannot read back leaves it undefined.
   */
  read?(): NxValue;
  /**
   * A hyperslab of the value as stored, appended rows included: `count` elements per axis from
   * `start` (both of the rank of `shape`; a scalar takes []). For live readers, which must never
   * read a large dataset whole. A sink that cannot read back leaves it undefined.
   */
  readSlice?(start: readonly number[], count: readonly number[]): NxValue;
}

export interface SinkOpenOptions {
  /** 'create': a new file (error if it exists); 'append': open read-write, create if missing */
  readonly mode: 'create' | 'append';
  /** SWMR writing, for live readers (set up after the structure is written: startSwmr) */
  readonly swmr?: boolean;
}

export interface SinkFile {
  readonly path: string;
  readonly root: SinkGroup;
  /** the format library's version, for the root attribute HDF5_Version */
  readonly libraryVersion: string;
  /** writes buffered appends and makes the file readable by another process */
  flush(): void;
  /** switches to SWMR mode, when the sink supports it */
  startSwmr?(): void;
  close(): void;
}

/** A file's object as a reader sees it: structure and attributes, data only when asked for. */
export interface ReadAttribute {
  readonly name: string;
  /** undefined: a type the value model has no element type for (compound, reference, ...) */
  readonly type: ElementType | undefined;
  readonly shape: readonly number[];
  /** reads the value (attributes are small) */
  value(): NxValue | undefined;
}

export interface ReadNodeBase {
  /** absolute path in the file (of a linked object: the link's path) */
  readonly path: string;
  /**
   * For an object reached through a soft link: the link's value, the target path as stored
   * (absolute, or relative to the link's group). Optional: a reader that cannot tell leaves it out.
   */
  readonly softLink?: string;
  attributes(): readonly ReadAttribute[];
}

export interface ReadGroup extends ReadNodeBase {
  readonly kind: 'group';
  /** the objects below, soft and hard links followed (a dangling or external link is 'unresolved') */
  children(): ReadonlyArray<{ readonly name: string; readonly node: ReadNode }>;
}

export interface ReadField extends ReadNodeBase {
  readonly kind: 'field';
  readonly type: ElementType | undefined;
  /** the stored type as the format names it, e.g. float64, vlen string, compound */
  readonly typeLabel: string;
  readonly shape: readonly number[];
  /** reads the whole value when it has at most `maxElements` elements, else undefined */
  read(maxElements: number): NxValue | undefined;
  /**
   * A hyperslab of the stored value: `count` elements per axis from `start` (both of the rank of
   * `shape`; a scalar takes []), for readers that must never read a large dataset whole (the live
   * view of a closed file). undefined for a type without an element type; a selection outside the
   * shape throws a VALUE_INVALID naming the dataset. Optional: a reader that cannot leaves it out.
   */
  readSlice?(start: readonly number[], count: readonly number[]): NxValue | undefined;
}

export interface ReadUnresolved {
  readonly kind: 'unresolved';
  readonly path: string;
  /** e.g. "an external link to other.h5:/entry/data", "a soft link to /missing" */
  readonly reason: string;
  /** for a dangling soft link or an external link: its target (and file), as SinkGroup.link gives them */
  readonly link?: { readonly file?: string; readonly path: string };
}

export type ReadNode = ReadGroup | ReadField | ReadUnresolved;

export interface SinkReader {
  readonly path: string;
  readonly root: ReadGroup;
  close(): void;
}

export interface SinkFactory extends ExtensionBase {
  readonly kind: 'sink';
  /** file name suffixes this sink is chosen for by default, e.g. ['.nxs', '.h5'] */
  readonly suffixes?: readonly string[];
  open(path: string, options: SinkOpenOptions): Promise<SinkFile>;
  /**
   * Opens a file read-only to inspect its structure (nxsw validate). Optional: a sink that cannot
   * read its files back leaves it undefined.
   */
  openReader?(path: string): Promise<SinkReader>;
}

// ---------------------------------------------------------------------------------------------
// Front ends

export interface RunningFrontEnd {
  /** a line for the user (how to connect) */
  readonly description: string;
  stop(): Promise<void>;
}

export interface FrontEnd extends ExtensionBase {
  readonly kind: 'frontend';
  /** the text `nxsw serve --help` prints: the front end's own options */
  readonly usage?: string;
  /** `host` is the kernel's service façade (sessions, registry); options are validated already */
  start(host: unknown, options: unknown): Promise<RunningFrontEnd>;
}

// ---------------------------------------------------------------------------------------------
// Tags: the interface lives with the engine (engine/tags.ts) because a handler builds engine
// elements; re-exported from the package root.

export type Extension = ExtensionBase;

/** The injection token under which extensions of one kind are registered in the container. */
export function extensionToken<T extends ExtensionBase = ExtensionBase>(kind: ExtensionKind): InjectionToken<T> {
  return Symbol.for(`nxsw.extension.${kind}`);
}
