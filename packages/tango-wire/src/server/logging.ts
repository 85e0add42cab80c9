/**
 * Tango's per-device logging service (cppTango's log4tango targets), for the admin commands
 * AddLoggingTarget, RemoveLoggingTarget, GetLoggingTarget, SetLoggingLevel, GetLoggingLevel,
 * StartLogging and StopLogging. A device's messages (given to log()) go to its targets when
 * their level is at or above the device's logging level:
 *   console::cout     standard output
 *   file::/path       appended to the file (file:: alone: /tmp/tango-<user>/<exec>/<inst>/<dev>.log)
 *   device::a/b/c     the "Log" command of a log consumer device (Astor's LogViewer)
 * Levels are cppTango's numbers: 0 OFF, 1 FATAL, 2 ERROR, 3 WARN, 4 INFO, 5 DEBUG; a device
 * starts at OFF with no target, as cppTango devices do without logging properties, or with its
 * `logging_level` (a level name) and `logging_target` device properties.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { userInfo } from 'node:os';
import { CmdArgType } from '../enums.js';
import { devFailed } from '../errors.js';
import type { LongStringArray } from '../command-args.js';
import type { CommandSpec, TangoDevice } from './model.js';

export enum LogLevel { OFF = 0, FATAL = 1, ERROR = 2, WARN = 3, INFO = 4, DEBUG = 5 }
const LEVEL_NAMES = ['OFF', 'FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG'];
const ORIGIN = 'DServer';

/** sends one message to a log consumer device (the Log command) */
export type LogConsumerCall = (device: string, record: string[]) => Promise<void>;

interface DeviceLog {
  level: LogLevel;
  readonly targets: string[];
}

export interface LoggingOptions {
  /** "Executable/instance", for the default log file path */
  readonly serverName: string;
  readonly toConsumer?: LogConsumerCall;
  /** told when a target fails (the message is dropped, the target kept) */
  readonly onError?: (msg: string) => void;
}

export class LoggingControl {
  private readonly devices = new Map<string, DeviceLog>();
  /** per log file, the last queued append (see appendInOrder) */
  private readonly fileQueues = new Map<string, Promise<void>>();
  private running = true;

  constructor(private readonly options: LoggingOptions) {}

  private of(device: string): DeviceLog {
    const key = device.toLowerCase();
    let d = this.devices.get(key);
    if (!d) {
      d = { level: LogLevel.OFF, targets: [] };
      this.devices.set(key, d);
    }
    return d;
  }

  level(device: string): LogLevel {
    return this.of(device).level;
  }

  targets(device: string): string[] {
    return [...this.of(device).targets];
  }

  /**
   * A device's start-up configuration from its logging_level / logging_target properties; a bad
   * value is reported and skipped.
   */
  configure(device: string, props: ReadonlyMap<string, readonly string[]>): void {
    const level = props.get('logging_level')?.[0]?.trim().toUpperCase();
    if (level !== undefined) {
      const n = LEVEL_NAMES.indexOf(level);
      if (n >= 0) this.of(device).level = n;
      else this.options.onError?.(`${device}: logging_level '${level}' is not one of ${LEVEL_NAMES.join(', ')}`);
    }
    for (const t of props.get('logging_target') ?? []) {
      try {
        this.addTarget(device, t);
      } catch (e) {
        this.options.onError?.(`${device}: logging_target '${t}': ${(e as Error).message}`);
      }
    }
  }

  /** One message of a device; goes to its targets if the level lets it through. */
  log(device: string, level: LogLevel, message: string): void {
    if (!this.running || level === LogLevel.OFF) return;
    const d = this.devices.get(device.toLowerCase());
    if (!d || level > d.level || d.targets.length === 0) return;
    const now = new Date();
    const line = `${now.toISOString()} ${LEVEL_NAMES[level]} ${device} ${message}`;
    for (const t of d.targets) {
      const [type, name] = splitTarget(t);
      const fail = (e: unknown): void => this.options.onError?.(`logging target ${t} of ${device} failed: ${(e as Error).message}`);
      if (type === 'console') process.stdout.write(`${line}\n`);
      else if (type === 'file') this.appendInOrder(name, `${line}\n`, fail);
      else if (type === 'device') this.options.toConsumer?.(name, [String(now.getTime()), LEVEL_NAMES[level], device, message, '', 'main']).catch(fail);
    }
  }

  /** Appends to a log file after the writes queued before it, so lines keep the order they were logged in. */
  private appendInOrder(file: string, text: string, fail: (e: unknown) => void): void {
    const previous = this.fileQueues.get(file) ?? mkdir(dirname(file), { recursive: true }).then(() => undefined);
    const next = previous.then(() => appendFile(file, text)).catch(fail);
    this.fileQueues.set(file, next);
    void next.then(() => {
      if (this.fileQueues.get(file) === next) this.fileQueues.delete(file);
    });
  }

  private defaultFile(device: string): string {
    const [exec, inst] = this.options.serverName.split('/');
    return join('/tmp', `tango-${safeUser()}`, exec, inst, `${device.replace(/\//g, '_')}.log`);
  }

  private addTarget(device: string, target: string): void {
    const [type, given] = splitTarget(target);
    let name = given;
    if (!['console', 'file', 'device'].includes(type)) {
      throw devFailed('API_InvalidArgs', `Invalid logging target type '${type}' (console, file or device)`, `${ORIGIN}::add_logging_target`);
    }
    if (type === 'console') name = 'cout';
    if (type === 'file' && name === '') name = this.defaultFile(device);
    if (type === 'device' && name === '') throw devFailed('API_InvalidArgs', 'A device logging target needs the log consumer device name (device::a/b/c)', `${ORIGIN}::add_logging_target`);
    const d = this.of(device);
    const full = `${type}::${name}`;
    if (!d.targets.includes(full)) d.targets.push(full);
  }

  private removeTarget(device: string, target: string): void {
    const [type, name] = splitTarget(target);
    const d = this.of(device);
    for (let i = d.targets.length - 1; i >= 0; i--) {
      const [t, n] = splitTarget(d.targets[i]);
      if (t === type && (name === '' || name === '*' || n === name)) d.targets.splice(i, 1);
    }
  }

  /** the admin device's logging commands; device names may use '*' wildcards */
  commands(host: { devices(): readonly TangoDevice[]; readonly adminName: string }): CommandSpec[] {
    const names = (pattern: string, origin: string): string[] => {
      const all = [...host.devices().map((d) => d.name), host.adminName];
      const re = new RegExp(`^${pattern.split('*').map(escapeRe).join('.*')}$`, 'i');
      const hits = all.filter((n) => re.test(n));
      if (hits.length === 0) throw devFailed('API_DeviceNotFound', `No device matching ${pattern} in this device server`, `${ORIGIN}::${origin}`);
      return hits;
    };
    const pairs = (arg: unknown, origin: string, f: (device: string, target: string) => void): void => {
      const a = arg as string[];
      if (a.length === 0 || a.length % 2 !== 0) throw devFailed('API_WrongNumberOfArgs', 'Incorrect number of arguments: device name and target pairs', `${ORIGIN}::${origin}`);
      for (let i = 0; i < a.length; i += 2) for (const d of names(a[i], origin)) f(d, a[i + 1]);
    };
    const { DevVoid, DevString, DevVarStringArray, DevVarLongStringArray } = CmdArgType;
    return [
      { name: 'AddLoggingTarget', in: DevVarStringArray, out: DevVoid, inDesc: 'Str[i]=Device-name. Str[i+1]=Target-type::Target-name', execute: (arg) => pairs(arg, 'add_logging_target', (d, t) => this.addTarget(d, t)) },
      { name: 'RemoveLoggingTarget', in: DevVarStringArray, out: DevVoid, inDesc: 'Str[i]=Device-name. Str[i+1]=Target-type::Target-name', execute: (arg) => pairs(arg, 'remove_logging_target', (d, t) => this.removeTarget(d, t)) },
      { name: 'GetLoggingTarget', in: DevString, out: DevVarStringArray, inDesc: 'Device name', outDesc: 'Logging target list', execute: (arg) => this.targets(names(String(arg), 'get_logging_target')[0]) },
      {
        name: 'SetLoggingLevel', in: DevVarLongStringArray, out: DevVoid, inDesc: 'Lg[i]=Logging Level. Str[i]=Device name.',
        execute: (arg) => {
          const v = arg as LongStringArray;
          if (v.lvalue.length !== v.svalue.length) throw devFailed('API_WrongNumberOfArgs', 'As many levels as device names are needed', `${ORIGIN}::set_logging_level`);
          v.svalue.forEach((pattern, i) => {
            const level = Number(v.lvalue[i]);
            if (!Number.isInteger(level) || level < LogLevel.OFF || level > LogLevel.DEBUG) throw devFailed('API_MethodArgument', `Invalid logging level ${level} (0 OFF … 5 DEBUG)`, `${ORIGIN}::set_logging_level`);
            for (const d of names(pattern, 'set_logging_level')) this.of(d).level = level;
          });
        },
      },
      {
        name: 'GetLoggingLevel', in: DevVarStringArray, out: DevVarLongStringArray, inDesc: 'Device list', outDesc: 'Lg[i]=Logging Level. Str[i]=Device name.',
        execute: (arg) => {
          const devices = (arg as string[]).flatMap((p) => names(p, 'get_logging_level'));
          return { lvalue: devices.map((d) => this.level(d)), svalue: devices } satisfies LongStringArray;
        },
      },
      { name: 'StartLogging', in: DevVoid, out: DevVoid, execute: () => { this.running = true; } },
      { name: 'StopLogging', in: DevVoid, out: DevVoid, execute: () => { this.running = false; } },
    ];
  }
}

function splitTarget(t: string): [string, string] {
  const i = t.indexOf('::');
  return i < 0 ? [t.trim().toLowerCase(), ''] : [t.slice(0, i).trim().toLowerCase(), t.slice(i + 2).trim()];
}

function escapeRe(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'tango';
  }
}
