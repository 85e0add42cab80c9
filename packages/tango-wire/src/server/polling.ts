/**
 * Polling as cppTango does it, on the event loop: per device, attributes and commands read at
 * their own period, each result kept in a ring buffer that read_attribute_history_* and
 * command_inout_history_* answer from (depth 10, cppTango's default, or the device's
 * poll_ring_depth / attr_poll_ring_depth / cmd_poll_ring_depth properties), every attribute reading
 * handed to the device's events (periodic, change, archive). DevPollStatus text is cppTango's,
 * which Astor's polling panels parse.
 */
import { AttrQuality, CmdArgType } from '../enums.js';
import { devFailed, type DevError } from '../errors.js';
import { timeValNow, writeDevErrorList, writeTimeVal, type TimeVal } from '../idl.js';
import { attrDataToAny, type AttributeReading, type AttrData } from '../attribute-value.js';
import type { CdrWriter } from '../cdr.js';
import { tc, writeAny } from '../typecode.js';
import { toAttrData, type AttrValue } from './model.js';

/** cppTango's DefaultPollRingDepth */
export const POLL_RING_DEPTH = 10;

/** The ring depths a device's properties set (cppTango reads them when the device starts). */
export interface RingDepths {
  /** poll_ring_depth: every polled object's depth unless one of its own is set */
  device?: number;
  /** attr_poll_ring_depth / cmd_poll_ring_depth: lower-case object name → depth */
  attribute?: ReadonlyMap<string, number>;
  command?: ReadonlyMap<string, number>;
}
/** cppTango refuses periods below this (MIN_POLL_PERIOD) */
export const MIN_POLL_PERIOD_MS = 5;

export type PolledKind = 'attribute' | 'command';

export interface CommandRecord {
  readonly time: TimeVal;
  /** the command's result (undefined when it failed) */
  readonly value?: unknown;
  readonly errors: DevError[];
}

interface PolledObject {
  readonly kind: PolledKind;
  readonly name: string;
  period: number;
  timer: NodeJS.Timeout | undefined;
  readonly ring: (AttributeReading | CommandRecord)[];
  readonly depth: number;
  /** ms the last reading took */
  lastDuration: number;
  /** Date.now() of the ring's records, newest last */
  readonly stamps: number[];
  busy: boolean;
}

/** What the poller reads from: the device behind the servant. */
export interface PollSource {
  readonly deviceName: string;
  /** canonical attribute name or DevFailed API_AttrNotFound */
  attributeName(name: string): string;
  /** canonical command name or DevFailed API_CommandNotFound; DevFailed when it takes an argument */
  pollableCommand(name: string): string;
  readAttribute(name: string): AttributeReading;
  runCommand(name: string): Promise<unknown>;
  onAttributeReading(reading: AttributeReading): void;
}

export class DevicePoller {
  private readonly objects = new Map<string, PolledObject>();
  private running = true;
  private depths: RingDepths = {};

  constructor(private readonly source: PollSource) {}

  private key(kind: PolledKind, name: string): string {
    return `${kind}/${name.toLowerCase()}`;
  }

  private canonical(kind: PolledKind, name: string): string {
    return kind === 'attribute' ? this.source.attributeName(name) : this.source.pollableCommand(name);
  }

  isPolled(kind: PolledKind, name: string): boolean {
    return this.objects.has(this.key(kind, name));
  }

  get isEmpty(): boolean {
    return this.objects.size === 0;
  }

  /** The ring depths for objects added from now on (the device's properties, read at its start). */
  setRingDepths(depths: RingDepths): void {
    this.depths = depths;
  }

  private depthOf(kind: PolledKind, name: string): number {
    return this.depths[kind]?.get(name.toLowerCase()) ?? this.depths.device ?? POLL_RING_DEPTH;
  }

  /** AddObjPolling */
  add(kind: PolledKind, name: string, period: number): void {
    const canonical = this.canonical(kind, name);
    const origin = 'DServer::add_obj_polling';
    if (this.isPolled(kind, canonical)) {
      throw devFailed('API_AlreadyPolled', `${kind === 'attribute' ? 'Attribute' : 'Command'} ${canonical} already polled`, origin);
    }
    checkPeriod(period, origin);
    const o: PolledObject = { kind, name: canonical, period, timer: undefined, ring: [], depth: this.depthOf(kind, canonical), stamps: [], lastDuration: 0, busy: false };
    this.objects.set(this.key(kind, canonical), o);
    if (this.running) this.arm(o, true);
  }

  /** UpdObjPollingPeriod */
  update(kind: PolledKind, name: string, period: number): void {
    const o = this.get(kind, name, 'DServer::upd_obj_polling_period');
    checkPeriod(period, 'DServer::upd_obj_polling_period');
    o.period = period;
    if (this.running) this.arm(o, false);
  }

  /** RemObjPolling */
  remove(kind: PolledKind, name: string): void {
    const o = this.get(kind, name, 'DServer::rem_obj_polling');
    if (o.timer) clearInterval(o.timer);
    this.objects.delete(this.key(kind, o.name));
  }

  /** StopPolling: the objects stay configured, no reading happens */
  stop(): void {
    this.running = false;
    for (const o of this.objects.values()) {
      if (o.timer) clearInterval(o.timer);
      o.timer = undefined;
    }
  }

  /** StartPolling */
  start(): void {
    this.running = true;
    for (const o of this.objects.values()) if (!o.timer) this.arm(o, true);
  }

  close(): void {
    this.stop();
    this.objects.clear();
  }

  /** name/period pairs, as the polled_attr / polled_cmd properties store them */
  configuration(kind: PolledKind): string[] {
    return [...this.objects.values()].filter((o) => o.kind === kind).flatMap((o) => [o.name.toLowerCase(), String(o.period)]);
  }

  /** The last n attribute readings, oldest first (read_attribute_history_*). */
  attributeHistory(name: string, n: number): AttributeReading[] {
    return this.history('attribute', name, n) as AttributeReading[];
  }

  commandHistory(name: string, n: number): CommandRecord[] {
    return this.history('command', name, n) as CommandRecord[];
  }

  /** DevPollStatus: one text per polled object, as cppTango writes it */
  status(): string[] {
    const now = Date.now();
    return [...this.objects.values()].map((o) => {
      const lines = [
        `Polled ${o.kind} name = ${o.name}`,
        `Polling period (mS) = ${o.period}`,
        `Polling ring buffer depth = ${o.depth}`,
      ];
      if (o.ring.length === 0) {
        lines.push(`No data recorded yet`);
        return lines.join('\n');
      }
      lines.push(`Time needed for the last ${o.kind} ${o.kind === 'attribute' ? 'reading' : 'execution'} (mS) = ${o.lastDuration.toFixed(3)}`);
      lines.push(`Data not updated since ${now - o.stamps[o.stamps.length - 1]} mS`);
      const deltas: number[] = [];
      for (let i = o.stamps.length - 1; i > 0 && deltas.length < 4; i--) deltas.push(o.stamps[i] - o.stamps[i - 1]);
      if (deltas.length) lines.push(`Delta between last records (in mS) = ${deltas.join(', ')}`);
      const last = o.ring[o.ring.length - 1];
      if (last.errors.length) lines.push(`Last ${o.kind} ${o.kind === 'attribute' ? 'read' : 'execution'} FAILED :\n\tReason = ${last.errors[0].reason}\n\tDesc = ${last.errors[0].desc}\n\tOrigin = ${last.errors[0].origin}`);
      return lines.join('\n');
    });
  }

  private history(kind: PolledKind, name: string, n: number): (AttributeReading | CommandRecord)[] {
    const o = this.objects.get(this.key(kind, name));
    const what = kind === 'attribute' ? 'Attribute' : 'Command';
    if (!o) throw devFailed(kind === 'attribute' ? 'API_AttrNotPolled' : 'API_CmdNotPolled', `${what} ${name} not polled`, `Device_3Impl::${kind === 'attribute' ? 'read_attribute_history_3' : 'command_inout_history_2'}`);
    if (o.ring.length === 0) throw devFailed('API_NoDataYet', `No data available in cache for ${kind} ${o.name}`, 'DevicePoller::history');
    if (!Number.isInteger(n) || n <= 0) throw devFailed('API_AttrNotAllowed', `The history depth must be a positive number, not ${n}`, 'DevicePoller::history');
    return o.ring.slice(-n);
  }

  private get(kind: PolledKind, name: string, origin: string): PolledObject {
    const o = this.objects.get(this.key(kind, name));
    if (!o) throw devFailed('API_PollObjNotFound', `${kind === 'attribute' ? 'Attribute' : 'Command'} ${name} not polled by device ${this.source.deviceName}`, origin);
    return o;
  }

  private arm(o: PolledObject, now: boolean): void {
    if (o.timer) clearInterval(o.timer);
    o.timer = setInterval(() => void this.poll(o), o.period);
    o.timer.unref();
    if (now) void this.poll(o);
  }

  private async poll(o: PolledObject): Promise<void> {
    // a reading slower than the period is not stacked up (cppTango skips late polls too)
    if (o.busy) return;
    o.busy = true;
    const t0 = performance.now();
    try {
      let rec: AttributeReading | CommandRecord;
      if (o.kind === 'attribute') {
        rec = this.source.readAttribute(o.name);
      } else {
        const time = timeValNow();
        try {
          rec = { time, value: await this.source.runCommand(o.name), errors: [] };
        } catch (e) {
          const errors = (e as { errors?: DevError[] }).errors ?? [{ reason: 'API_CommandFailed', severity: 1, desc: String((e as Error).message ?? e), origin: o.name }];
          rec = { time, errors };
        }
      }
      o.lastDuration = performance.now() - t0;
      o.ring.push(rec);
      o.stamps.push(Date.now());
      if (o.ring.length > o.depth) {
        o.ring.shift();
        o.stamps.shift();
      }
      if (o.kind === 'attribute') this.source.onAttributeReading(rec as AttributeReading);
    } finally {
      o.busy = false;
    }
  }
}

function checkPeriod(period: number, origin: string): void {
  if (!Number.isInteger(period) || period < MIN_POLL_PERIOD_MS) {
    throw devFailed('API_NotSupported', `The polling period must be an integer of at least ${MIN_POLL_PERIOD_MS} mS (${period} given)`, origin);
  }
}

/** The data of several readings end to end (the `any` of a DevAttrHistory_4/5). */
export function concatData(type: CmdArgType, parts: readonly AttrData[]): AttrData {
  if (type === CmdArgType.DevString || type === CmdArgType.DevEncoded) return parts.flatMap((p) => [...(p as unknown[])]) as AttrData;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const first = parts.find((p) => p.length > 0) ?? parts[0];
  const C = (first?.constructor ?? Float64Array) as new (n: number) => { set(x: ArrayLike<unknown>, o?: number): void };
  const out = new C(total);
  let at = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<unknown>, at);
    at += p.length;
  }
  return out as unknown as AttrData;
}

interface Dim { x: number; y: number }
interface Run<T> { value: T; start: number; nb: number }

/**
 * cppTango's run-length lists (EltInArray): records are walked from the newest to the oldest; a
 * run starts at its newest record and covers nb older ones. undefined entries (failed records)
 * break runs and are left out.
 */
function runs<T>(values: readonly (T | undefined)[], same: (a: T, b: T) => boolean): Run<T>[] {
  const out: Run<T>[] = [];
  let cur: Run<T> | undefined;
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v === undefined) {
      cur = undefined;
      continue;
    }
    if (cur && same(cur.value, v)) {
      cur.nb++;
    } else {
      cur = { value: v, start: i, nb: 1 };
      out.push(cur);
    }
  }
  return out;
}

function writeRuns<T>(w: CdrWriter, list: Run<T>[], item: (v: T) => void): void {
  w.ulong(list.length);
  for (const r of list) item(r.value);
  w.ulong(list.length);
  for (const r of list) w.long(r.start).long(r.nb);
}

const sameDim = (a: Dim, b: Dim): boolean => a.x === b.x && a.y === b.y;

function dimOf(shape: readonly number[] | undefined, n: number): Dim {
  if (!shape || shape.length === 0) return { x: n > 0 ? 1 : 0, y: 0 };
  return shape.length === 1 ? { x: shape[0], y: 0 } : { x: shape[1], y: shape[0] };
}

/** DevAttrHistory_4 (v 4) or _5 (v 5) from readings, oldest first. */
export function writeAttrHistory45(w: CdrWriter, name: string, type: CmdArgType, format: number, records: readonly AttributeReading[], v: 4 | 5): void {
  w.string(name);
  if (v === 5) w.ulong(format).long(type);
  w.ulong(records.length);
  for (const r of records) writeTimeVal(w, r.time);
  const ok = (r: AttributeReading): boolean => r.errors.length === 0 && r.quality !== AttrQuality.ATTR_INVALID;
  // the value holds the data of the valid records, the newest first (clients read it from the end)
  const parts = records.filter(ok).reverse().flatMap((r) => (r.writeData ? [r.data, r.writeData] : [r.data]));
  writeAny(w, attrDataToAny(type, concatData(type, parts)));
  const live = records.map((r) => (r.errors.length ? undefined : r));
  writeRuns(w, runs(live.map((r) => r?.quality), (a, b) => a === b), (q) => w.ulong(q));
  const dim = (d: Dim): void => { w.long(d.x).long(d.y); };
  writeRuns(w, runs(live.map((r) => r && dimOf(r.shape, r.data.length)), sameDim), dim);
  writeRuns(w, runs(live.map((r) => r && (r.writeData ? dimOf(r.writeShape, r.writeData.length) : { x: 0, y: 0 })), sameDim), dim);
  const errs = records.map((r) => (r.errors.length ? r.errors : undefined));
  writeRuns(w, runs(errs, () => false), (e) => writeDevErrorList(w, e));
}

/** DevAttrHistoryList_3 (v 3) or DevAttrHistoryList (v 2), oldest first. */
export function writeAttrHistoryList(w: CdrWriter, records: readonly AttributeReading[], v: 2 | 3, writeValue: (r: AttributeReading) => void): void {
  w.ulong(records.length);
  for (const r of records) {
    w.boolean(r.errors.length > 0);
    writeValue(r);
    if (v === 2) writeDevErrorList(w, r.errors);
  }
}

/** DevCmdHistory_4 for a command whose result is a scalar of type `type`, oldest first. */
export function writeCmdHistory4(w: CdrWriter, type: CmdArgType, records: readonly CommandRecord[]): void {
  w.ulong(records.length);
  for (const r of records) writeTimeVal(w, r.time);
  const values = records.filter((r) => r.errors.length === 0).reverse().map((r) => r.value as AttrValue);
  writeAny(w, attrDataToAny(type, concatData(type, values.map((x) => toAttrData(type, x)))));
  writeRuns(w, runs(records.map((r) => (r.errors.length ? undefined : { x: 1, y: 0 })), sameDim), (d) => { w.long(d.x).long(d.y); });
  writeRuns(w, runs(records.map((r) => (r.errors.length ? r.errors : undefined)), () => false), (e) => writeDevErrorList(w, e));
  w.long(type);
}

/** DevCmdHistoryList (command_inout_history_2), oldest first. */
export function writeCmdHistoryList(w: CdrWriter, type: CmdArgType, records: readonly CommandRecord[], encode: (v: unknown) => void): void {
  w.ulong(records.length);
  for (const r of records) {
    writeTimeVal(w, r.time);
    w.boolean(r.errors.length > 0);
    if (r.errors.length) writeAny(w, { type: tc.null, value: null });
    else encode(r.value);
    writeDevErrorList(w, r.errors);
  }
}
