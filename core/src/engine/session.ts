/**
 * A writer session: the NXSDataWriter state machine and command semantics (spec 3 and 4), shared
 * by every front end (the Tango device, `nxsw write`). It knows no protocol.
 */
import { copyFileSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { resolve as resolvePath, basename } from 'node:path';
import { ConfigError, NxswError, asNxswError, errorMessage } from '../api/errors.js';
import { checkOutputPath } from '../api/files.js';
import type {
  DataSource, DataSourceType, Decoder, JsonRecord, Phase, ReadContext, SinkFactory, SinkFile, SinkGroup, SourceSettings,
} from '../api/extensions.js';
import { silentLogger, type ExtensionLookup, type Logger } from '../api/plugin.js';
import { stringValue, type NxValue } from '../api/values.js';
import { childElements, type XmlElement } from '../api/xml.js';
import { redactSecrets } from '../api/secrets.js';
import { parseXml, parseXmlYielding } from './xmlparse.js';
import { checkJsonBounds } from './json-limits.js';
import { DEFAULT_LIMITS, type InputLimits } from '../api/limits.js';
import { buildPlan, nameTree } from './planner.js';
import { STANDARD_TAGS } from './tags.js';
import type { GroupPlan, PlanNode, SourcePlan, TagHandler } from './plan.js';

/** What `checkConfiguration` found: object counts, fields per mode, datasources per type. */
export interface ConfigurationSummary {
  groups: number;
  fields: number;
  attributes: number;
  links: number;
  modes: Record<string, number>;
  sources: Record<string, number>;
}
import { openEntry, type Entry } from './entry.js';
import { FileBinding, type Acquirable } from './elements.js';
import { runPool, type PoolBase } from './pool.js';
import { parseFileName, splitFileName, nexusTime, type OutputName } from './filename.js';
import { metadataFailure, scicatMetadata } from './scicat.js';

export type WriterState = 'ON' | 'OPEN' | 'EXTRACT' | 'RUNNING' | 'FAULT';

export const STATUS_TEXT: Readonly<Record<WriterState, string>> = {
  ON: 'Ready', OPEN: 'File Open', EXTRACT: 'Entry Open', RUNNING: 'Writing ...', FAULT: 'Error',
};

export type Durability = { readonly mode: 'record' } | { readonly mode: 'interval'; readonly intervalMs: number };

export interface SessionOptions {
  readonly extensions: ExtensionLookup & { providerOf?(kind: string, name: string): string | undefined };
  /** initial and reset value of CanFail (the Tango property DefaultCanFail) */
  readonly defaultCanFail?: boolean;
  /** write /nexus_logs/configuration* (the Tango property AddingLogs) */
  readonly addingLogs?: boolean;
  /** when appended data must be in the file: after every Record (default) or every N ms */
  readonly durability?: Durability;
  readonly swmr?: boolean;
  /** time limit of one source read when its type gives none */
  readonly sourceTimeoutMs?: number;
  /** sink format name; default: chosen by the file suffix, else HDF5 */
  readonly sink?: string;
  readonly log?: Logger;
  /** warn when a Record takes longer (ms; the Tango property MaxRecordRuntime) */
  readonly maxRecordRuntimeMs?: number;
  /** warn when one element's read takes longer (ms; the Tango property MaxElementRuntime) */
  readonly maxElementRuntimeMs?: number;
  /** settings for datasource types (ReadContext.settings), e.g. `python` from a device property */
  readonly sourceSettings?: SourceSettings;
  /** bounds on configurations and JSON records (default DEFAULT_LIMITS) */
  readonly limits?: InputLimits;
  /** the program's name and version, for the root attribute creator and the logs */
  readonly creator?: { readonly name: string; readonly version: string };
  /**
   * The Tango property MetadataOutput: comma-separated; with `file`, CloseEntry writes
   * `<file name>.<entry name>.json` with the SciCat metadata of each NXentry (as the reference)
   */
  readonly metadataOutput?: string;
}

/**
 * The files of a session's last OpenFile … CloseFile, kept after CloseFile so that readers in this
 * process (the live view) can still show the scan just taken.
 */
export interface ClosedFiles {
  /** the files in order (StepsPerFile: file 1, 2, …), as the session named them */
  readonly files: readonly string[];
  /** the sink that wrote them: its openReader reads them back */
  readonly sink: SinkFactory;
  /** when they were closed (ms since the epoch) */
  readonly closedAt: number;
}

/**
 * What a session does with its files, for readers in this process: `opening` comes before the
 * session opens a file for writing (OpenFile, each StepsPerFile file), so that a reader holding
 * it lets go first (HDF5 refuses to open a file for writing that this process has open read-only);
 * `closed` after CloseFile (or Init) closed the session's files.
 */
export type SessionFileEvent = { readonly kind: 'opening'; readonly path: string } | { readonly kind: 'closed'; readonly closed: ClosedFiles };

interface SplitState {
  readonly base: string;
  readonly files: string[];
}


/** Python class names of the reference's built-in decoders, accepted in JSON "decoders" */
const REFERENCE_DECODER_CLASSES: Record<string, string> = {
  UTF8decoder: 'UTF8', UINT32decoder: 'UINT32', VDEOdecoder: 'LIMA_VIDEO_IMAGE', DATAARRAYdecoder: 'DATA_ARRAY',
};

/** Python class paths of the reference's built-in sources, accepted in JSON "datasources" */
const REFERENCE_SOURCE_CLASSES: Record<string, string> = {
  ClientSource: 'CLIENT', TangoSource: 'TANGO', DBaseSource: 'DB', PyEvalSource: 'PYEVAL',
};

const XML_STATES: readonly WriterState[] = ['ON', 'OPEN', 'FAULT'];

/** a backstop for a decoder's prepare at OpenEntry (a Python decoder has its own, shorter limits) */
const PREPARE_LIMIT_MS = 60_000;

/** how long writing XMLSettings waits for the datasource types' vet (a Tango client's timeout is 3 s) */
const VET_WAIT_MS = 2000;

/** how writeXmlSettings reports the datasource types' findings */
export interface XmlSettingsOptions {
  /** wait for the checks however long they take (a command line has no client that times out) */
  readonly waitForVet?: boolean;
  /** what the logged warnings start with (default 'XMLSettings'; the command line names the file) */
  readonly origin?: string;
}

export class WriterSession {
  private _state: WriterState = 'ON';
  private readonly _errors: string[] = [];
  private _xml = '';
  private plan: GroupPlan | undefined;
  private _json: JsonRecord = {};
  private _jsonText = '{}';
  private _fileName = '';
  private _canFail: boolean;
  private _skip = false;
  private _stepsPerFile = 0;
  private _currentFileId = 0;

  private output: OutputName | undefined;
  private file: SinkFile | undefined;
  /** the sink of the open files */
  private sink: SinkFactory | undefined;
  private _lastClosed: ClosedFiles | undefined;
  private readonly fileListeners = new Set<(e: SessionFileEvent) => void>();
  private binding: FileBinding | undefined;
  private parentPath = '';
  private entry: Entry | undefined;
  private step = 0;
  /** Records of the open entry (the step counter is -2 during FINAL) */
  private recorded = 0;
  private entriesOpened = 0;
  private split: SplitState | undefined;
  private lastFlush = 0;
  private lastUpdateTime = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  /** the command running now, if any */
  private current: Promise<void> | undefined;
  /** shared by the sources of this session across records and entries (the common block) */
  private readonly shared = new Map<string, unknown>();
  /** decoders of classes named in the JSON "decoders", one per label and class for the session's life */
  private readonly classDecoders = new Map<string, Decoder>();
  private readonly log: Logger;
  readonly options: SessionOptions;

  constructor(options: SessionOptions) {
    this.options = options;
    this.log = options.log ?? silentLogger;
    this._canFail = options.defaultCanFail ?? false;
  }

  // ---- state ------------------------------------------------------------------------------

  get state(): WriterState {
    return this._state;
  }
  get status(): string {
    return STATUS_TEXT[this._state];
  }
  get errors(): readonly string[] {
    return this._errors;
  }
  get currentFileId(): number {
    return this._currentFileId;
  }
  /** records written in the open entry */
  get records(): number {
    return this.recorded;
  }
  get outputFiles(): string[] {
    return this.split ? [...this.split.files] : this.output ? [this.output.file] : [];
  }
  /**
   * The file open for writing, for readers in this process (a live view): they read through the
   * writer's own handles, between commands, never while a command writes.
   */
  get openSinkFile(): SinkFile | undefined {
    return this.file;
  }
  /** the sink writing the open file(s): its openReader reads back the ones a StepsPerFile scan closed */
  get openSink(): SinkFactory | undefined {
    return this.sink;
  }
  /** the files of the last OpenFile … CloseFile once they are closed; undefined again from the next OpenFile */
  get lastClosed(): ClosedFiles | undefined {
    return this._lastClosed;
  }
  /** calls `listener` with what the session does with its files; returns the unsubscribe function */
  watchFiles(listener: (e: SessionFileEvent) => void): () => void {
    this.fileListeners.add(listener);
    return () => this.fileListeners.delete(listener);
  }
  private tell(e: SessionFileEvent): void {
    for (const l of this.fileListeners) {
      try {
        l(e);
      } catch (err) {
        this.log.warn(`a file listener failed: ${errorMessage(err)}`);
      }
    }
  }
  /** Resolves when no command runs: a reader then sees whole Records, never half of one. */
  async idle(): Promise<void> {
    while (this.current) await this.current.catch(() => undefined);
  }

  // ---- attributes ---------------------------------------------------------------------------

  get xmlSettings(): string {
    return this._xml;
  }
  /**
   * Parses and validates the whole configuration; on error nothing changes. The datasource types'
   * deeper checks (compiling PYEVAL scripts, ...) need I/O and are not run: servers and the
   * command line use writeXmlSettings.
   */
  setXmlSettings(xml: string): void {
    this.allow('write XMLSettings', XML_STATES);
    this.useXml(xml, xml.trim() === '' ? undefined : this.planOf(parseXml(xml, this.limits)));
  }

  /**
   * setXmlSettings for servers and the command line: the document is read in slices with pauses
   * between them, so that a large configuration does not keep the other devices of the process
   * from answering; then the datasource types' deeper checks run, and what they find is logged as
   * warnings (the configuration is accepted, as the reference accepts it). Resolves to the
   * warnings logged by then: all of them with `options.waitForVet`, else those found within
   * VET_WAIT_MS (a Tango client must not time out; the rest are logged when they come).
   */
  async writeXmlSettings(xml: string, vet?: (plan: GroupPlan | undefined) => void, options: XmlSettingsOptions = {}): Promise<readonly string[]> {
    this.allow('write XMLSettings', XML_STATES);
    const plan = xml.trim() === '' ? undefined : this.planOf(await parseXmlYielding(xml, this.limits));
    // the state may have changed during the pauses
    this.allow('write XMLSettings', XML_STATES);
    // the caller's own check of the new plan (the Tango device's NXDL report); throwing refuses it
    vet?.(plan);
    this.useXml(xml, plan);
    return plan ? this.warnOfSources(plan, options) : [];
  }

  /** parses a configuration into its plan (every tag checked; no datasource created; nothing changes) */
  parse(xml: string): GroupPlan {
    return this.planOf(parseXml(xml, this.limits));
  }

  private useXml(xml: string, plan: GroupPlan | undefined): void {
    this._xml = plan ? xml : '';
    this.plan = plan;
  }

  private get limits(): InputLimits {
    return this.options.limits ?? DEFAULT_LIMITS;
  }

  get jsonRecord(): string {
    return this._jsonText;
  }
  setJsonRecord(text: string): void {
    this.allow('write JSONRecord', ['ON', 'OPEN', 'EXTRACT', 'FAULT']);
    this._json = parseJsonRecord(text, 'JSONRecord', this.limits);
    this._jsonText = text;
  }

  get fileName(): string {
    return this._fileName;
  }
  setFileName(name: string): void {
    this.allow('write FileName', ['ON', 'FAULT']);
    parseFileName(name);
    this._fileName = name;
  }

  get canFail(): boolean {
    return this._canFail;
  }
  setCanFail(v: boolean): void {
    this.allow('write CanFail', ['ON', 'OPEN', 'FAULT']);
    this._canFail = v;
  }

  get skipAcquisition(): boolean {
    return this._skip;
  }
  setSkipAcquisition(v: boolean): void {
    this.allow('write SkipAcquisition', ['ON', 'OPEN', 'EXTRACT', 'FAULT']);
    this._skip = v;
  }

  get stepsPerFile(): number {
    return this._stepsPerFile;
  }
  setStepsPerFile(n: number): void {
    this.allow('write StepsPerFile', ['ON', 'FAULT']);
    if (!Number.isInteger(n) || n < 0) throw new NxswError('VALUE_INVALID', `StepsPerFile must be a non-negative integer, not ${n}`);
    this._stepsPerFile = n;
  }

  // ---- commands -----------------------------------------------------------------------------

  /** Init: back to ON, errors cleared, an open file closed. */
  async init(): Promise<void> {
    if (this._state === 'RUNNING') throw new NxswError('WRONG_STATE', 'Init is not allowed while a command is running');
    try {
      if (this.file) await this.closeFileNow();
    } catch (e) {
      this.log.warn(`Init: closing the file failed: ${errorMessage(e)}`);
      this.file = undefined;
    }
    this._errors.length = 0;
    this._canFail = this.options.defaultCanFail ?? false;
    this._skip = false;
    this.shared.clear();
    this._state = 'ON';
  }

  openFile(): Promise<void> {
    return this.command('OpenFile', ['ON', 'OPEN', 'FAULT'], () => 'OPEN', async () => {
      if (this.file) await this.closeFileNow();
      this._errors.length = 0;
      const output = parseFileName(this._fileName);
      const sink = this.chooseSink(output.file);
      checkOutputPath(output.file);
      const existed = existsSync(output.file);
      this._lastClosed = undefined;
      this.tell({ kind: 'opening', path: resolvePath(output.file) });
      const file = await sink.open(output.file, { mode: 'append', swmr: this.options.swmr });
      this.sink = sink;
      this.output = output;
      this.file = file;
      this.binding = new FileBinding(file);
      try {
        if (!existed) this.writeRootAttributes(file, this._fileName);
        if (this.options.addingLogs ?? true) this.createLogGroup(file.root);
        this.parentPath = this.createParents(file.root, output);
        file.flush();
      } catch (e) {
        this.closeQuietly();
        throw e;
      }
    });
  }

  openEntry(): Promise<void> {
    return this.command('OpenEntry', ['OPEN'], () => 'EXTRACT', async () => {
      const skip = this.takeSkip();
      if (!this.plan) return;
      const file = this.requireFile();
      // before the entry's objects are written: a failure leaves the file as it was
      await this.prepareClassDecoders(this.plan);
      this.step = -1;
      this.recorded = 0;
      const entry = await openEntry(this.plan, {
        binding: this.binding!,
        parentPath: this.parentPath,
        isSameFile: (f) => this.isSameFile(f),
        tree: nameTree(this.plan),
        createSource: (sp) => this.createSource(sp),
        timeoutOf: (sp) => this.timeoutOf(sp),
        readConfigValue: (source, label, timeoutMs) => this.readConfig(source, label, timeoutMs),
        globalCanFail: this._canFail,
        reload: skip,
        expectedRecords: announcedRecords(this._json),
        log: this.log,
        limits: this.limits,
      });
      this.entry = entry;
      this.entriesOpened++;
      if (this.options.addingLogs ?? true) {
        const logs = this.logGroup(file.root);
        logs?.createField(`nexus__entry__${this.entriesOpened}_xml`, { type: 'string', shape: [], scalar: true }).write(stringValue(redactSecrets(this._xml)));
      }
      try {
        if (!skip) await this.runPhase(entry.init, 'INIT', -1, undefined);
      } finally {
        this.flush(true);
      }
      if (this._stepsPerFile > 0) await this.startSplit();
      if (this.options.swmr) {
        if (this.file?.startSwmr) this.file.startSwmr();
        else this.log.warn('the sink does not support SWMR; writing without it');
      }
    });
  }

  record(json?: string): Promise<void> {
    return this.command('Record', ['EXTRACT'], () => 'EXTRACT', async () => {
      const local = json === undefined || json.trim() === '' ? undefined : parseJsonRecord(json, 'Record argument', this.limits);
      const skip = this.takeSkip();
      if (!this.entry) return;
      this.step = this.step < 1 ? 1 : this.step + 1;
      this.recorded++;
      const started = performance.now();
      try {
        if (!skip) {
          await this.runPhase(this.entry.step, 'STEP', this.step, local);
          for (const label of local?.triggers ?? []) {
            const pool = this.entry.triggers.get(label);
            if (pool) await this.runPhase(pool, 'STEP', this.step, local);
          }
        }
      } finally {
        await this.afterRecord();
        const took = performance.now() - started;
        const max = this.options.maxRecordRuntimeMs;
        if (max && took > max) this.log.warn(`Record ${this.step} took ${(took / 1000).toFixed(3)} s, more than MaxRecordRuntime ${(max / 1000).toFixed(3)} s`);
      }
    });
  }

  closeEntry(): Promise<void> {
    return this.command('CloseEntry', ['EXTRACT', 'FAULT'], (prev) => (prev === 'FAULT' ? 'FAULT' : 'OPEN'), () => this.endEntry(this.takeSkip()));
  }

  /** CloseFile in EXTRACT closes the entry first, FINAL data included (spec 4.2) */
  closeFile(): Promise<void> {
    const inEntry = this._state === 'EXTRACT';
    return this.command('CloseFile', ['OPEN', 'EXTRACT', 'FAULT'], (prev) => (prev === 'FAULT' ? 'FAULT' : 'ON'), async () => {
      try {
        if (inEntry) await this.endEntry(this.takeSkip());
      } finally {
        await this.closeFileNow();
      }
    });
  }

  /**
   * Checks a configuration without writing anything and without changing the session: the
   * document is parsed and validated, and every datasource is created (its type found, its own
   * configuration checked) and released again. Throws the first error, located.
   */
  async checkConfiguration(xml: string): Promise<ConfigurationSummary> {
    const plan = this.planOf(await parseXmlYielding(xml, this.limits));
    const summary: ConfigurationSummary = { groups: 0, fields: 0, attributes: 0, links: 0, modes: {}, sources: {} };
    const count = (mode: string) => { summary.modes[mode] = (summary.modes[mode] ?? 0) + 1; };
    const sources = planSources(plan, (n) => {
      if (n.kind === 'group') {
        if (n !== plan) summary.groups++;
        return;
      }
      if (n.kind === 'field') summary.fields++;
      else if (n.kind === 'attribute') summary.attributes++;
      else summary.links++;
      if (n.source) count(n.strategy?.mode ?? 'INIT');
      else if (n.kind === 'field') count(n.strategy?.mode === 'POSTRUN' ? 'POSTRUN' : 'STATIC');
    });
    const made: DataSource[] = [];
    try {
      for (const sp of sources) {
        made.push(this.createSource(sp));
        summary.sources[sp.type] = (summary.sources[sp.type] ?? 0) + 1;
      }
    } finally {
      await Promise.allSettled(made.map((s) => s.close?.()));
    }
    const problems = await this.vetSources(plan);
    if (problems.length === 1) throw problems[0];
    if (problems.length > 1) throw new ConfigError('DATASOURCE_CONFIG', `${problems.length} datasources are wrong:\n${problems.map((p) => p.message).join('\n')}`);
    return summary;
  }

  // ---- internals ----------------------------------------------------------------------------

  /** the plan of a parsed configuration, built by the standard and the plugins' tag handlers */
  private planOf(root: XmlElement): GroupPlan {
    const tags = new Map<string, TagHandler>();
    for (const t of STANDARD_TAGS) tags.set(t.name, t);
    for (const t of this.options.extensions.list<TagHandler>('tag')) tags.set(t.name, t);
    const plan = buildPlan(root, (n) => tags.get(n), () => [...tags.keys()], this.limits);
    // what a datasource type can tell now (no I/O) is told at XMLSettings, located
    const settings = this.options.sourceSettings ?? {};
    for (const sp of planSources(plan)) this.options.extensions.find<DataSourceType>('datasource', sp.type)?.check?.(sp.el, settings);
    return plan;
  }

  /**
   * The types' deeper checks (DataSourceType.vet): one call per type with all its elements,
   * nested datasources included. Sources of JSON-mapped classes are not vetted.
   */
  private async vetSources(plan: GroupPlan): Promise<ConfigError[]> {
    const byType = new Map<DataSourceType, XmlElement[]>();
    const add = (type: string | undefined, el: XmlElement): void => {
      let t: DataSourceType | undefined;
      try {
        const found = type ? this.sourceType({ type, el }) : undefined;
        t = found && !found.classPath ? found.type : undefined;
      } catch {
        // an unknown type is reported where the sources are created
      }
      if (t?.vet) {
        const els = byType.get(t);
        if (els) els.push(el);
        else byType.set(t, [el]);
      }
      for (const child of childElements(el, 'datasource')) add(child.attributes.type?.trim(), child);
    };
    for (const sp of planSources(plan)) add(sp.type, sp.el);
    const ctx = { settings: this.options.sourceSettings ?? {}, shared: this.shared };
    const found: ConfigError[] = [];
    for (const [t, els] of byType) found.push(...(await t.vet!(els, ctx)));
    return found;
  }

  /**
   * At XMLSettings the types' deeper findings are warnings, not a refusal: the reference accepts
   * such a configuration and fails at the reads (with canfail, markers), and beamlines rely on it.
   */
  private async warnOfSources(plan: GroupPlan, options: XmlSettingsOptions): Promise<readonly string[]> {
    const origin = options.origin ?? 'XMLSettings';
    const warnings: string[] = [];
    const warn = (m: string): void => {
      warnings.push(m);
      this.log.warn(`${origin}: ${m}`);
    };
    const done = this.vetSources(plan).then(
      (found) => { for (const e of found) warn(`${e.message}; the configuration is accepted, and reads of this datasource will fail`); },
      (e: unknown) => warn(`checking the datasources failed: ${errorMessage(e)}`),
    );
    if (options.waitForVet) {
      await done;
      return warnings;
    }
    // the client's write must not time out: a slow first start of a worker finishes in the background
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => { timer = setTimeout(r, VET_WAIT_MS); })]);
    clearTimeout(timer);
    return [...warnings];
  }

  private allow(what: string, states: readonly WriterState[]): void {
    if (!states.includes(this._state)) {
      throw new NxswError('WRONG_STATE', `${what} is not allowed in state ${this._state} (allowed in ${states.join(', ')})`);
    }
  }

  /** runs a command with the state rules of spec 4.2: RUNNING while it works, FAULT on error */
  private async command(name: string, allowed: readonly WriterState[], after: (prev: WriterState) => WriterState, work: () => Promise<void>): Promise<void> {
    this.allow(name, allowed);
    const run = this.run(after, work);
    this.current = run;
    try {
      await run;
    } finally {
      if (this.current === run) this.current = undefined;
    }
  }

  private async run(after: (prev: WriterState) => WriterState, work: () => Promise<void>): Promise<void> {
    const prev = this._state;
    this._state = 'RUNNING';
    try {
      await work();
      this._state = after(prev);
    } catch (e) {
      const err = asNxswError(e);
      this._state = 'FAULT';
      this._errors.push(`${nexusTime()}:\n${err.message}`);
      if (this._errors.length > 1000) this._errors.splice(0, this._errors.length - 1000);
      throw err;
    }
  }

  private takeSkip(): boolean {
    const s = this._skip;
    this._skip = false;
    return s;
  }

  private requireFile(): SinkFile {
    if (!this.file) throw new NxswError('WRONG_STATE', 'no file is open');
    return this.file;
  }

  private chooseSink(file: string): SinkFactory {
    const sinks = this.options.extensions.list<SinkFactory>('sink');
    const byName = this.options.sink ? sinks.find((s) => s.name === this.options.sink) : undefined;
    if (this.options.sink && !byName) throw new NxswError('FILE_ERROR', `no sink named '${this.options.sink}' is installed (installed: ${sinks.map((s) => s.name).join(', ') || 'none'})`);
    const sink = byName ?? sinks.find((s) => s.suffixes?.some((x) => file.toLowerCase().endsWith(x))) ?? sinks.find((s) => s.name === 'HDF5') ?? sinks[0];
    if (!sink) throw new NxswError('FILE_ERROR', 'no output sink is installed (install @nxsw/sink-hdf5)');
    return sink;
  }

  private writeRootAttributes(file: SinkFile, name: string): void {
    const r = file.root;
    const now = nexusTime();
    r.setAttribute('NX_class', stringValue('NXroot'));
    r.setAttribute('file_name', stringValue(name));
    r.setAttribute('file_time', stringValue(now));
    r.setAttribute('file_update_time', stringValue(now));
    r.setAttribute('HDF5_Version', stringValue(file.libraryVersion));
    const c = this.options.creator;
    if (c) {
      r.setAttribute('creator', stringValue(c.name));
      r.setAttribute('creator_version', stringValue(c.version));
    }
  }

  private logGroupPath: string | undefined;

  private createLogGroup(root: SinkGroup): void {
    const logs = root.openGroup('nexus_logs') ?? root.createGroup('nexus_logs');
    let name = 'configuration';
    for (let i = 2; logs.keys().includes(name); i++) name = `configuration_${i}`;
    const conf = logs.createGroup(name);
    // the reference records python_version here; this writer records its runtime's version
    conf.createField('nodejs_version', { type: 'string', shape: [], scalar: true }).write(stringValue(process.version));
    if (this.options.creator) conf.createField('nxsw_version', { type: 'string', shape: [], scalar: true }).write(stringValue(this.options.creator.version));
    this.logGroupPath = `/nexus_logs/${name}`;
  }

  private logGroup(root: SinkGroup): SinkGroup | undefined {
    if (!this.logGroupPath) return undefined;
    const logs = root.openGroup('nexus_logs');
    return logs?.openGroup(this.logGroupPath.split('/').at(-1)!);
  }

  /** creates or reopens the groups of a `file:/a:NXa/NXb` FileName; returns their path */
  private createParents(root: SinkGroup, output: OutputName): string {
    let g = root;
    let path = '';
    for (const seg of output.parents) {
      let next = g.openGroup(seg.name);
      if (!next) {
        next = g.createGroup(seg.name);
        next.setAttribute('NX_class', stringValue(seg.nxClass));
      }
      g = next;
      path += `/${seg.name}`;
    }
    return path;
  }

  private isSameFile(f: string): boolean {
    if (!this.output) return false;
    const mine = this.split ? this.split.files.at(-1)! : this.output.file;
    const target = resolvePath(f);
    return [this.output.file, mine].some((p) => resolvePath(p) === target) || f === basename(mine);
  }

  private createSource(sp: SourcePlan): DataSource {
    const { type, classPath } = this.sourceType(sp);
    const env = { createSource: (el: XmlElement) => this.createSource(childPlan(el)) };
    try {
      return classPath ? type.createFromClass!(classPath, sp.el, env) : type.create(sp.el, env);
    } catch (e) {
      if (e instanceof ConfigError) throw e;
      throw new ConfigError('DATASOURCE_CONFIG', `${sp.type} datasource: ${errorMessage(e)}`, sp.el.location, { cause: e });
    }
  }

  /** the type that makes a source; classPath when a JSON-mapped class is run by a type's createFromClass */
  private sourceType(sp: SourcePlan): { type: DataSourceType; classPath?: string } {
    const ext = this.options.extensions;
    const direct = ext.find<DataSourceType>('datasource', sp.type);
    if (direct) return { type: direct };
    // the reference registers extra types through the global JSON: {"datasources": {"MCLIENT": "...ClientSource"}}
    const aliases = this._json.datasources;
    if (aliases && typeof aliases === 'object') {
      const target = (aliases as Record<string, unknown>)[sp.type];
      if (typeof target === 'string') {
        const last = target.split('.').at(-1)!;
        const name = REFERENCE_SOURCE_CLASSES[last] ?? target;
        const t = ext.find<DataSourceType>('datasource', name);
        if (t) return { type: t };
        const runner = ext.list<DataSourceType>('datasource').find((x) => x.createFromClass);
        if (runner && target.includes('.')) return { type: runner, classPath: target };
      }
    }
    const installed = ext.list<DataSourceType>('datasource').map((t) => {
      const by = this.options.extensions.providerOf?.('datasource', t.name);
      return by ? `${t.name} (${by})` : t.name;
    });
    throw new ConfigError('DATASOURCE_UNKNOWN', `unknown datasource type '${sp.type}'; installed types: ${installed.join(', ') || 'none'} — install a plugin that provides it, or map it in the global JSON "datasources" (to an installed type, or to a class path such as "package.module.Class" when a plugin runs classes, e.g. @nxsw/source-python)`, sp.el.location);
  }

  /**
   * A label registered through the global JSON, as the reference's DecoderPool does: it wins over
   * a decoder of the same name. {"decoders": {"MYLABEL": "...VDEOdecoder"}} names one of the
   * reference's built-in classes (nxsw's own decoder then) or an installed decoder's name; any
   * other class path runs in a plugin that runs classes (DataSourceType.decoderFromClass).
   */
  private aliasedDecoder(label: string): Decoder | undefined {
    const aliases = this._json.decoders;
    if (!aliases || typeof aliases !== 'object') return undefined;
    const target = (aliases as Record<string, unknown>)[label];
    if (typeof target !== 'string') return undefined;
    const ext = this.options.extensions;
    const last = target.split('.').at(-1)!;
    const own = ext.find<Decoder>('decoder', REFERENCE_DECODER_CLASSES[last] ?? target);
    if (own) return own;
    if (!target.includes('.')) return undefined;
    const key = `${label}\n${target}`;
    let d = this.classDecoders.get(key);
    if (!d) {
      const runner = ext.list<DataSourceType>('datasource').find((x) => x.decoderFromClass);
      if (!runner) {
        throw new NxswError('DATASOURCE_CONFIG', `the global JSON "decoders" maps encoding '${label}' to the class ${target}, but no installed plugin runs decoder classes (install @nxsw/source-python), and it is none of nxsw's decoders (${ext.list('decoder').map((x) => x.name).join(', ') || 'none'})`);
      }
      try {
        d = runner.decoderFromClass!(target, label);
      } catch (e) {
        // e.g. Python switched off: the message names the label and the class
        throw new ConfigError('DATASOURCE_CONFIG', `the decoder class ${target} (encoding '${label}'): ${errorMessage(e)}`, undefined, { cause: e });
      }
      this.classDecoders.set(key, d);
    }
    return d;
  }

  /**
   * At OpenEntry, before anything is written: the class decoders that the global JSON "decoders"
   * maps a label to, for the labels an element of the configuration names (`<device
   * encoding="LABEL">`), are made now (`Decoder.prepare`: a Python class imported, instantiated
   * and checked in the session's worker), so that a class that cannot work fails OpenEntry with an
   * error naming the label and the class, located at the element, instead of the first read.
   * Labels that only a value's format string names stay lazy (made at the first value), and a JSON
   * that names no class starts no worker. When every element naming a label is in a field or
   * attribute that says canfail="true" itself, the problem is logged as a warning and the reads
   * fail with the canfail markers, as in the reference (which skips the class silently and fails
   * the reads); the global CanFail does not count (a Tango device's DefaultCanFail is true, and the
   * client is to hear of a broken class at OpenEntry, not from markers in the file).
   */
  private async prepareClassDecoders(plan: GroupPlan): Promise<void> {
    const aliases = this._json.decoders;
    if (!aliases || typeof aliases !== 'object') return;
    const labels = new Set(Object.entries(aliases as Record<string, unknown>).filter(([, t]) => typeof t === 'string' && t.includes('.')).map(([l]) => l));
    if (labels.size === 0) return;
    const users = new Map<string, Array<{ el: XmlElement; canfail: boolean }>>();
    const scan = (el: XmlElement, canfail: boolean): void => {
      const label = el.attributes.encoding?.trim();
      if (label && labels.has(label)) {
        const list = users.get(label);
        if (list) list.push({ el, canfail });
        else users.set(label, [{ el, canfail }]);
      }
      for (const c of el.children) scan(c, canfail);
    };
    planSources(plan, (n) => {
      if (n.kind === 'group') return;
      // a <dim> read at OpenEntry fails it whatever the strategy says
      if (n.kind !== 'link') for (const d of n.dimensions?.dims ?? []) if (d && typeof d === 'object') scan(d.el, false);
      if (n.source) scan(n.source.el, n.strategy?.canfail === true);
    });
    for (const [label, list] of users) {
      const target = (aliases as Record<string, string>)[label]!;
      try {
        await this.aliasedDecoder(label)?.prepare?.({ shared: this.shared, settings: this.options.sourceSettings ?? {}, signal: AbortSignal.timeout(PREPARE_LIMIT_MS) });
      } catch (e) {
        const inner = errorMessage(e);
        const message = inner.includes(target) && inner.includes(`'${label}'`) ? inner : `the decoder class ${target} (encoding '${label}'): ${inner}`;
        const strict = list.find((u) => !u.canfail);
        if (strict) throw new ConfigError('DATASOURCE_CONFIG', message, strict.el.location, { cause: e });
        this.log.warn(`OpenEntry: ${message} (${list.length === 1 ? 'the element naming it says' : `all ${list.length} elements naming it say`} canfail="true": the reads will fail with the canfail markers)`);
      }
    }
  }

  private timeoutOf(sp: SourcePlan): number {
    const t = this.options.extensions.find<DataSourceType>('datasource', sp.type);
    return t?.defaultTimeoutMs ?? this.options.sourceTimeoutMs ?? 10_000;
  }

  private poolBase(phase: Phase, step: number, local: JsonRecord | undefined): PoolBase {
    const ext = this.options.extensions;
    return {
      phase, step, globalJson: this._json, localJson: local, shared: this.shared, file: this.file, settings: this.options.sourceSettings ?? {},
      split: { currentFileId: this._currentFileId, stepsPerFile: this._stepsPerFile },
      decoder: (name: string): Decoder => {
        const d = this.aliasedDecoder(name) ?? ext.find<Decoder>('decoder', name);
        if (!d) throw new NxswError('DATASOURCE_CONFIG', `no decoder for encoding '${name}' is installed (installed: ${ext.list('decoder').map((x) => x.name).join(', ') || 'none'})`);
        return d;
      },
    };
  }

  private async readConfig(source: DataSource, label: string, timeoutMs: number): Promise<NxValue> {
    const ac = new AbortController();
    let t: NodeJS.Timeout | undefined;
    // raced as in the pools: a source that ignores the signal cannot hold OpenEntry past the limit
    const expired = new Promise<never>((_, reject) => {
      t = setTimeout(() => {
        const e = new NxswError('TIMEOUT', `no value within ${timeoutMs} ms`);
        ac.abort(e);
        reject(e);
      }, timeoutMs);
    });
    try {
      return await Promise.race([source.read({ ...this.poolBase('CONFIG', this.step, undefined), signal: ac.signal } as ReadContext), expired]);
    } catch (e) {
      throw new NxswError('DATA_NOT_FOUND', `${label}: reading the length from ${source.describe()} failed: ${errorMessage(e)}`);
    } finally {
      clearTimeout(t);
    }
  }

  private async runPhase(pool: readonly Acquirable[], phase: Phase, step: number, local: JsonRecord | undefined): Promise<void> {
    this.shared.set('__counter__', step);
    await runPool(pool, this.poolBase(phase, step, local), this.log, this.options.maxElementRuntimeMs);
  }

  private async afterRecord(): Promise<void> {
    const d = this.options.durability ?? { mode: 'record' };
    if (d.mode === 'record') this.flush(false);
    else {
      if (Date.now() - this.lastFlush >= d.intervalMs) this.flush(false);
      else if (!this.flushTimer) {
        this.flushTimer = setTimeout(() => {
          this.flushTimer = undefined;
          if (this.file) this.flush(false);
        }, d.intervalMs);
        this.flushTimer.unref();
      }
    }
    if (this.split && this.recorded % this._stepsPerFile === 0) await this.nextSplitFile();
  }

  /** flushes the file; file_update_time is refreshed at most once a second unless forced */
  private flush(force: boolean): void {
    const file = this.file;
    if (!file) return;
    const now = Date.now();
    if (force || now - this.lastUpdateTime >= 1000) {
      file.root.setAttribute('file_update_time', stringValue(nexusTime()));
      this.lastUpdateTime = now;
    }
    file.flush();
    this.lastFlush = now;
  }

  // ---- StepsPerFile (spec 3.4) ----------------------------------------------------------------

  /** after INIT the base file is closed; the scan continues in copies of it (spec 3.4) */
  private async startSplit(): Promise<void> {
    const base = this.output!.file;
    this.file!.close();
    this.file = undefined;
    this.split = { base, files: [] };
    await this.switchTo(1);
  }

  private async switchTo(n: number): Promise<void> {
    const split = this.split!;
    const name = splitFileName(split.base, n);
    // before the copy replaces a file a reader may hold (an earlier scan's file of that name)
    this.tell({ kind: 'opening', path: resolvePath(name) });
    copyFileSync(split.base, name);
    split.files.push(name);
    await this.useFile(name);
    this.file!.root.setAttribute('file_name', stringValue(name));
    this._currentFileId = n;
  }

  private async useFile(name: string): Promise<void> {
    this.tell({ kind: 'opening', path: resolvePath(name) });
    const f = await this.chooseSink(name).open(name, { mode: 'append' });
    this.file = f;
    this.binding!.use(f);
  }

  private async nextSplitFile(): Promise<void> {
    this.file?.close();
    this.file = undefined;
    await this.switchTo(this._currentFileId + 1);
  }

  /** CloseEntry in split mode: drop the base file and an empty trailing file, FINAL into each */
  private async finishSplit(entry: Entry, skip: boolean): Promise<void> {
    const split = this.split!;
    this.file?.close();
    this.file = undefined;
    rmSync(split.base, { force: true });
    if (split.files.length > 1 && this.recorded <= (split.files.length - 1) * this._stepsPerFile) rmSync(split.files.pop()!, { force: true });
    let firstError: unknown;
    // as the reference: the last file first, back to the first, each with its own CurrentFileId
    // (scripts such as the nxstools postrun helpers compute the file's frame range from it)
    for (let i = split.files.length - 1; i >= 0; i--) {
      this._currentFileId = i + 1;
      await this.useFile(split.files[i]!);
      if (i > 0) this.file!.root.setAttribute('file_time', stringValue(nexusTime()));
      try {
        if (!skip) await this.runPhase(entry.final, 'FINAL', -2, undefined);
      } catch (e) {
        firstError ??= e;
      }
      this.flush(true);
      this.file!.close();
      this.file = undefined;
    }
    // the first split file stays the current one (CurrentFileId 1), as in the reference
    await this.useFile(split.files[0]!);
    this._currentFileId = 1;
    if (firstError) throw firstError;
  }

  /** the FINAL phase (into every split file), then the entry's sources are released */
  private async endEntry(skip: boolean): Promise<void> {
    const entry = this.entry;
    this._canFail = this.options.defaultCanFail ?? false;
    if (!entry) return;
    this.step = -2;
    try {
      if (this.split) await this.finishSplit(entry, skip);
      else {
        if (!skip) await this.runPhase(entry.final, 'FINAL', -2, undefined);
        this.flush(true);
      }
    } finally {
      this.entry = undefined;
      await Promise.allSettled(entry.sources.map((s) => s.close?.()));
    }
    this.writeMetadata();
  }

  /** MetadataOutput `file`: the SciCat metadata of each NXentry of the configuration, read from the file */
  private writeMetadata(): void {
    const wanted = (this.options.metadataOutput ?? '').split(',').map((x) => x.trim());
    if (!wanted.includes('file') || !this.plan || !this.file || !this.output) return;
    const fileName = this.output.file;
    const parent = this.binding!.group(this.parentPath || '/');
    for (const e of this.plan.children) {
      if (e.kind !== 'group' || e.nxClass !== 'NXentry') continue;
      const out = `${fileName}.${e.name}.json`;
      try {
        const json = scicatMetadata(parent, e.name, { fileName });
        if (json !== undefined) writeFileSync(out, json);
      } catch (err) {
        throw metadataFailure(out, err);
      }
    }
  }

  private async closeFileNow(): Promise<void> {
    if (this.entry) {
      const entry = this.entry;
      this.entry = undefined;
      if (this.split) await this.finishSplit(entry, true);
      await Promise.allSettled(entry.sources.map((s) => s.close?.()));
    }
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const files = this.outputFiles;
    const sink = this.sink;
    if (this.file) {
      try {
        this.flush(true);
      } finally {
        this.file.close();
      }
    }
    this.file = undefined;
    if (sink && files.length > 0) {
      this._lastClosed = { files: files.map((f) => resolvePath(f)), sink, closedAt: Date.now() };
      this.tell({ kind: 'closed', closed: this._lastClosed });
    }
    this.sink = undefined;
    this.binding = undefined;
    this.split = undefined;
    this.output = undefined;
    this.logGroupPath = undefined;
    this._currentFileId = 0;
  }

  private closeQuietly(): void {
    try {
      this.file?.close();
    } catch {
      /* already failing */
    }
    this.file = undefined;
    this.sink = undefined;
    this.binding = undefined;
  }
}

/** every datasource of a plan (fields, attributes, links, CONFIG lengths); `visit` sees each node */
function planSources(plan: GroupPlan, visit?: (n: PlanNode) => void): SourcePlan[] {
  const sources: SourcePlan[] = [];
  const walk = (n: PlanNode): void => {
    visit?.(n);
    if (n.kind === 'group') {
      n.children.forEach(walk);
      n.attributes.forEach(walk);
      return;
    }
    if (n.kind === 'field') n.attributes.forEach(walk);
    if (n.kind !== 'link') for (const d of n.dimensions?.dims ?? []) if (d && typeof d === 'object') sources.push(d);
    if (n.source) sources.push(n.source);
  };
  walk(plan);
  return sources;
}

function childPlan(el: XmlElement): SourcePlan {
  const type = el.attributes.type?.trim();
  if (!type) throw new ConfigError('DATASOURCE_CONFIG', 'a nested datasource needs a type', el.location);
  return { type, name: el.attributes.name?.trim() || undefined, el };
}

/**
 * The number of records a client announced for the scan, a hint for chunk shapes: Sardana's NXS
 * recorder sends the scan macro's nb_points as `"vars": {"npoints": N}` in the global JSON;
 * `"data": {"npoints": N}` is read as well.
 */
export function announcedRecords(json: JsonRecord): number | undefined {
  for (const where of [json['vars'], json.data]) {
    const n = where !== null && typeof where === 'object' ? (where as Record<string, unknown>)['npoints'] : undefined;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1) return n;
  }
  return undefined;
}

/**
 * Parses a JSON record within the size and nesting limits; it must be an object, `data` an object
 * and `triggers` a list of strings.
 */
export function parseJsonRecord(text: string, what: string, limits: InputLimits = DEFAULT_LIMITS): JsonRecord {
  checkJsonBounds(text, what, limits);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new NxswError('JSON_INVALID', `${what} is not valid JSON: ${errorMessage(e)}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new NxswError('JSON_INVALID', `${what} must be a JSON object like {"data": {...}}`);
  const r = v as Record<string, unknown>;
  if (r.data !== undefined && (r.data === null || typeof r.data !== 'object' || Array.isArray(r.data))) {
    throw new NxswError('JSON_INVALID', `${what}: "data" must be an object of name → value`);
  }
  if (r.triggers !== undefined && (!Array.isArray(r.triggers) || r.triggers.some((t) => typeof t !== 'string'))) {
    throw new NxswError('JSON_INVALID', `${what}: "triggers" must be a list of strings`);
  }
  return r as JsonRecord;
}
