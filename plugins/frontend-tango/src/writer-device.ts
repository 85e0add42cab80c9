/**
 * The NXSDataWriter Tango class: one device = one WriterSession. Maps the session's state to
 * DevState, its errors' codes to DevFailed reasons, exposes the spec 4.2/4.3 commands and
 * attributes, and runs the *Asynch commands in the background (clients poll State).
 */
import { NXSW_VERSION, NxswError, WriterSession, type ExtensionLookup, type InputLimits, type Logger, type SessionRegistry, type SinkFactory, type WriterState } from '@nxsw/core';
import { CmdArgType, DevState, DispLevel, type AttributeSpec, type CommandSpec, type TangoDevice } from '@nxsw/tango-wire/server';
import { PROPERTY_WIZARD, type WriterProperties } from './properties.js';
import { NxdlConfigurationCheck } from './nxdl-check.js';

const DEV_STATE: Record<WriterState, DevState> = {
  ON: DevState.ON, OPEN: DevState.OPEN, EXTRACT: DevState.EXTRACT, RUNNING: DevState.RUNNING, FAULT: DevState.FAULT,
};

/** the reference's back-end module names; all mean "the HDF5 sink" here */
const REFERENCE_WRITERS = new Set(['', 'h5cpp', 'h5py', 'pni', 'pninexus']);

export interface WriterDeviceEnv {
  readonly extensions: ExtensionLookup;
  readonly log: Logger;
  /** undefined: the file is flushed after every Record */
  readonly flushIntervalMs?: number;
  /** bounds on configurations and JSON records (the kernel's) */
  readonly limits?: InputLimits;
  /** where the device's session is registered by device name, for other front ends (the live view) */
  readonly sessions?: SessionRegistry;
  /** reads the device properties (from the database, or the command line) */
  loadProperties(device: string): Promise<WriterProperties>;
}

const { ON, OPEN, EXTRACT, FAULT } = DevState;

export class NxsDataWriterDevice implements TangoDevice {
  readonly className = 'NXSDataWriter';
  readonly wizardProperties = PROPERTY_WIZARD;
  readonly description = 'NeXus file writer (nxsw)';
  private session: WriterSession;
  private props: WriterProperties;
  private nxdl!: NxdlConfigurationCheck;
  /** the running *Asynch command, so stop and Init can wait for it */
  private background: Promise<void> | undefined;

  private constructor(readonly name: string, private readonly env: WriterDeviceEnv, props: WriterProperties) {
    this.props = props;
    this.session = this.newSession();
  }

  static async create(name: string, env: WriterDeviceEnv): Promise<NxsDataWriterDevice> {
    return new NxsDataWriterDevice(name, env, await env.loadProperties(name));
  }

  get properties(): WriterProperties {
    return this.props;
  }

  /** the engine behind this device (tests, benchmarks) */
  get writerSession(): WriterSession {
    return this.session;
  }

  state(): DevState {
    return DEV_STATE[this.session.state];
  }

  status(): string {
    return this.session.status;
  }

  /** Init: closes an open file, re-reads the properties, starts a fresh engine. */
  async init(): Promise<void> {
    if (this.session.state === 'RUNNING') throw new NxswError('WRONG_STATE', 'Init is not allowed while a command is running');
    await this.session.init();
    this.props = await this.env.loadProperties(this.name);
    this.session = this.newSession();
  }

  /** Server stop: lets a background command finish, then closes the file so its data stays. */
  async shutdown(): Promise<void> {
    await this.background;
    if (this.session.state !== 'RUNNING') await this.session.init().catch((e: unknown) => this.env.log.warn(`${this.name}: closing on stop: ${String(e)}`));
    this.env.sessions?.delete(this.name);
  }

  attributes(): AttributeSpec[] {
    const s = (): WriterSession => this.session;
    return [
      {
        name: 'XMLSettings', type: CmdArgType.DevString, writable: true, level: DispLevel.EXPERT, description: 'the XML configuration',
        readStates: [ON, OPEN, FAULT], writeStates: [ON, OPEN, FAULT], read: () => s().xmlSettings,
        write: (v) => s().writeXmlSettings(String(v), (plan) => this.nxdl.check(plan)),
      },
      {
        name: 'NXDLReport', type: CmdArgType.DevString, description: 'JSON: what the configuration will lack or get wrong against the NeXus application definitions it names',
        read: () => this.nxdl.json,
      },
      {
        name: 'JSONRecord', type: CmdArgType.DevString, writable: true, level: DispLevel.EXPERT, description: 'the global JSON record',
        readStates: [ON, OPEN, EXTRACT, FAULT], writeStates: [ON, OPEN, EXTRACT, FAULT], read: () => s().jsonRecord, write: (v) => s().setJsonRecord(String(v)),
      },
      {
        name: 'FileName', pushesEvents: true, type: CmdArgType.DevString, writable: true, description: 'output file, optionally file:/nexus/path',
        writeStates: [ON, FAULT], read: () => s().fileName, write: (v) => s().setFileName(String(v)),
      },
      {
        name: 'CanFail', pushesEvents: true, type: CmdArgType.DevBoolean, writable: true, description: 'global canfail flag',
        writeStates: [ON, OPEN, FAULT], read: () => s().canFail, write: (v) => s().setCanFail(v === true),
      },
      {
        name: 'SkipAcquisition', pushesEvents: true, type: CmdArgType.DevBoolean, writable: true, description: 'skip the acquisition of the next phase',
        writeStates: [ON, OPEN, EXTRACT, FAULT], read: () => s().skipAcquisition, write: (v) => s().setSkipAcquisition(v === true),
      },
      {
        name: 'StepsPerFile', pushesEvents: true, type: CmdArgType.DevLong, writable: true, memorized: true, description: 'records per file (0: one file)',
        writeStates: [ON, FAULT], read: () => s().stepsPerFile, write: (v) => s().setStepsPerFile(Number(v)),
      },
      { name: 'CurrentFileId', pushesEvents: true, type: CmdArgType.DevLong, description: 'number of the split file being written', read: () => s().currentFileId },
      { name: 'Errors', pushesEvents: true, type: CmdArgType.DevString, format: 'spectrum', maxDimX: 1000, description: 'errors since Init or OpenFile', read: () => [...s().errors] },
    ];
  }

  /** built once: the specs reach the current session through `s()` (the servant keeps its table per list) */
  private commandList: readonly CommandSpec[] | undefined;

  commands(): readonly CommandSpec[] {
    return (this.commandList ??= this.buildCommands());
  }

  private buildCommands(): CommandSpec[] {
    const s = (): WriterSession => this.session;
    const cmd = (name: string, execute: (arg: unknown) => unknown, inType = CmdArgType.DevVoid): CommandSpec => ({
      name, in: inType, out: CmdArgType.DevVoid, inDesc: inType === CmdArgType.DevString ? 'JSON string with data' : 'Uninitialised',
      // the reference's debug stream: "In OpenFile()" (reaches Tango logging targets at level DEBUG)
      execute: (arg) => {
        this.env.log.debug(`${this.name}: In ${name}()`);
        return execute(arg);
      },
    });
    return [
      cmd('OpenFile', () => s().openFile()),
      cmd('OpenEntry', () => s().openEntry()),
      cmd('Record', (arg) => this.timedRecord(arg), CmdArgType.DevString),
      cmd('CloseEntry', () => s().closeEntry()),
      cmd('CloseFile', () => s().closeFile()),
      cmd('OpenEntryAsynch', () => this.inBackground('OpenEntryAsynch', ['OPEN'], () => s().openEntry())),
      cmd('RecordAsynch', (arg) => this.inBackground('RecordAsynch', ['EXTRACT'], () => this.timedRecord(arg)), CmdArgType.DevString),
      cmd('CloseEntryAsynch', () => this.inBackground('CloseEntryAsynch', ['EXTRACT', 'FAULT'], () => s().closeEntry())),
    ];
  }

  /** Record; the session warns about MaxRecordRuntime / MaxElementRuntime (seconds in Tango) */
  private timedRecord(arg: unknown): Promise<void> {
    return this.session.record(typeof arg === 'string' ? arg : undefined);
  }

  /**
   * Checks the state now (so a wrong-state call fails at once) and runs the work without waiting:
   * the session is RUNNING from here on; failures end in FAULT with the message in Errors.
   */
  private inBackground(name: string, allowed: readonly WriterState[], work: () => Promise<void>): void {
    const state = this.session.state;
    if (!allowed.includes(state)) throw new NxswError('WRONG_STATE', `${name} is not allowed in state ${state} (allowed in ${allowed.join(', ')})`);
    const p = work().catch((e: unknown) => this.env.log.warn(`${this.name}: ${name} failed: ${e instanceof Error ? e.message : String(e)}`));
    this.background = p.finally(() => {
      if (this.background === p) this.background = undefined;
    });
  }

  private newSession(): WriterSession {
    const p = this.props;
    this.nxdl = new NxdlConfigurationCheck(this.name, this.env.log, p.nxdlStrict, p.nxdlDirectory);
    const session = new WriterSession({
      extensions: this.env.extensions,
      defaultCanFail: p.defaultCanFail,
      addingLogs: p.addingLogs,
      metadataOutput: p.metadataOutput,
      sink: this.sinkName(p.writer),
      sourceSettings: p.pythonInterpreter ? { python: p.pythonInterpreter } : undefined,
      durability: this.env.flushIntervalMs ? { mode: 'interval', intervalMs: this.env.flushIntervalMs } : { mode: 'record' },
      maxRecordRuntimeMs: p.maxRecordRuntime > 0 ? p.maxRecordRuntime * 1000 : undefined,
      maxElementRuntimeMs: p.maxElementRuntime > 0 ? p.maxElementRuntime * 1000 : undefined,
      log: this.env.log,
      limits: this.env.limits,
      creator: { name: 'nxsw', version: NXSW_VERSION },
    });
    this.env.sessions?.set(this.name, session);
    return session;
  }

  /** the Writer property → a sink name, or undefined for the default choice */
  private sinkName(writer: string): string | undefined {
    const base = writer.split('?')[0].trim();
    const sinks = this.env.extensions.list<SinkFactory>('sink');
    const hit = sinks.find((x) => x.name.toLowerCase() === base.toLowerCase());
    if (hit) return hit.name;
    if (!REFERENCE_WRITERS.has(base.toLowerCase())) this.env.log.warn(`${this.name}: Writer='${writer}': no such sink (installed: ${sinks.map((x) => x.name).join(', ') || 'none'}); using the default`);
    return undefined;
  }
}
