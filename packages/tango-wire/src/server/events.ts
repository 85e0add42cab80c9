/**
 * The events of one device, with cppTango 9.3's rules: who subscribed to what (a subscription
 * lapses 600 s after its last ZmqEventSubscriptionChange/EventConfirmSubscription), which
 * subscriptions are allowed (periodic needs polling; change and archive need polling unless the
 * device pushes the attribute itself; numeric polled attributes need abs_change/rel_change set),
 * and when a new reading is an event (the change/archive criteria from the attribute
 * properties, the periodic and archive periods). Publishing is the ZmqEventSupplier's job.
 */
import { CmdArgType } from '../enums.js';
import { devFailed } from '../errors.js';
import { writeDevErrorList, writeAttributeConfig, type AttributeConfig } from '../idl.js';
import { writeAttributeValue45, type AttributeReading } from '../attribute-value.js';
import { eventData, type ZmqEventSupplier } from './zmq-supplier.js';

export type EventKind = 'change' | 'periodic' | 'archive' | 'user_event' | 'attr_conf' | 'quality' | 'data_ready';
const KINDS = new Set<string>(['change', 'periodic', 'archive', 'user_event', 'attr_conf', 'quality', 'data_ready']);
/** EVENT_RESUBSCRIBE_PERIOD: a subscription not confirmed for this long is dropped */
export const SUBSCRIPTION_LIFETIME_MS = 600_000;
/** cppTango's tolerance on periods (the polling thread may be a little early) */
const PERIOD_TOLERANCE = 0.98;
const NOT_SPECIFIED = new Set(['', 'not specified', 'none', 'nan']);

/**
 * The subscriptions to one attribute's events of one kind. Clients of Tango 9 (release 5 or an
 * "idl5_" event name) get AttributeValue_5 / AttributeConfig_5 on "<attr>.idl5_<kind>", older
 * ones AttributeValue_4 / AttributeConfig_3 on "<attr>.<kind>".
 */
interface Subscription {
  readonly attr: string;
  readonly kind: EventKind;
  readonly versions: Set<4 | 5>;
  confirmed: number;
}

/** What the events of a device need to know about the device and the process. */
export interface DeviceEventHost {
  readonly deviceName: string;
  /** "tango://host:port/" */
  topicPrefix(): string;
  /** "#dbase=no" without a database, else "" */
  readonly topicModifier: string;
  supplier(): Promise<ZmqEventSupplier>;
  /** canonical attribute name, or a DevFailed API_AttrNotFound */
  attributeName(name: string): string;
  attributeType(name: string): CmdArgType;
  config(name: string): AttributeConfig;
  isPolled(attr: string): boolean;
  /** the device pushes change/archive events of this attribute itself */
  isPushed(attr: string): boolean;
}

/** whether abs_change/rel_change apply (cppTango: not to strings, booleans, states, enums, encoded) */
function isNumeric(type: CmdArgType): boolean {
  return ![CmdArgType.DevString, CmdArgType.DevBoolean, CmdArgType.DevState, CmdArgType.DevEnum, CmdArgType.DevEncoded, CmdArgType.DevVoid].includes(type);
}

/** The numbers of a reading, for the change criteria (undefined: not numeric). */
function numbersOf(r: AttributeReading): number[] | undefined {
  return isNumeric(r.type) ? Array.from(r.data as ArrayLike<number | bigint>, Number) : undefined;
}

/** a threshold property: "x" (both ways) or "-a,b" (down, up); undefined when not set */
function threshold(text: string): [number, number] | undefined {
  if (NOT_SPECIFIED.has(text.trim().toLowerCase())) return undefined;
  const parts = text.split(',').map((s) => Math.abs(Number(s)));
  if (parts.some((x) => !Number.isFinite(x))) return undefined;
  return [parts[0], parts[1] ?? parts[0]];
}

function period(text: string): number | undefined {
  if (NOT_SPECIFIED.has(text.trim().toLowerCase())) return undefined;
  const p = Number(text);
  return Number.isFinite(p) && p > 0 ? p : undefined;
}

function sameValue(a: AttributeReading, b: AttributeReading): boolean {
  if (a.quality !== b.quality || a.errors.length !== b.errors.length) return false;
  if (a.errors.length) return a.errors.map((e) => e.reason + e.desc).join() === b.errors.map((e) => e.reason + e.desc).join();
  const x = a.data as ArrayLike<unknown>;
  const y = b.data as ArrayLike<unknown>;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** cppTango's change test: quality, errors or length differ, or one element moved past abs/rel */
function changed(prev: AttributeReading, next: AttributeReading, abs: [number, number] | undefined, rel: [number, number] | undefined): boolean {
  if (prev.quality !== next.quality || prev.errors.length > 0 || next.errors.length > 0) return !sameValue(prev, next);
  const p = numbersOf(prev);
  const n = numbersOf(next);
  if (!p || !n || (!abs && !rel)) return !sameValue(prev, next);
  if (p.length !== n.length) return true;
  for (let i = 0; i < n.length; i++) {
    const d = n[i] - p[i];
    if (abs && ((d > 0 && d >= abs[1]) || (d < 0 && -d >= abs[0]))) return true;
    if (rel) {
      const r = p[i] === 0 ? (d === 0 ? 0 : 100) : (d / Math.abs(p[i])) * 100;
      if ((r > 0 && r >= rel[1]) || (r < 0 && -r >= rel[0])) return true;
    }
  }
  return false;
}

export class DeviceEvents {
  private readonly subs = new Map<string, Subscription>();
  /** attr/kind → the reading last sent (change, archive) and when (periodic, archive) */
  private readonly last = new Map<string, { reading: AttributeReading; at: number }>();

  constructor(private readonly host: DeviceEventHost) {}

  /** the published event name of one attribute, event kind and payload version */
  topic(attr: string, kind: EventKind, version: 4 | 5): string {
    const h = this.host;
    return `${h.topicPrefix()}${h.deviceName.toLowerCase()}/${attr.toLowerCase()}${h.topicModifier}.${version === 5 ? 'idl5_' : ''}${kind}`;
  }

  /**
   * A subscription request (ZmqEventSubscriptionChange / EventConfirmSubscription): checks it as
   * cppTango does and (re)arms it. clientRelease is the client's Tango release argument (0 or
   * undefined: taken from the event name's idl5_ prefix). Returns the topic.
   */
  subscribe(attrName: string, eventName: string, clientRelease?: number, now = Date.now()): string {
    const { attr, kind, version } = this.check(attrName, eventName, clientRelease);
    const key = `${attr.toLowerCase()}/${kind}`;
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { attr, kind, versions: new Set(), confirmed: now };
      this.subs.set(key, sub);
    }
    sub.confirmed = now;
    // a confirmation without a release or prefix keeps the versions already asked for
    if (version !== undefined) sub.versions.add(version);
    else if (sub.versions.size === 0) sub.versions.add(4);
    return this.topic(attr, kind, version ?? [...sub.versions][0]);
  }

  /** Whether a subscription would be accepted (a DevFailed if not); its topic and kind. */
  check(attrName: string, eventName: string, clientRelease?: number): { attr: string; kind: EventKind; version: 4 | 5 | undefined } {
    const idl5 = eventName.startsWith('idl5_');
    const kindName = idl5 ? eventName.slice(5) : eventName;
    const version = clientRelease !== undefined && clientRelease > 0 ? (clientRelease >= 5 ? 5 : 4) : idl5 ? 5 : undefined;
    const origin = 'DServer::event_subscription';
    if (!KINDS.has(kindName)) throw devFailed('API_EventTypeNotSupported', `Event type ${eventName} is not supported`, origin);
    const kind = kindName as EventKind;
    const attr = this.host.attributeName(attrName);
    if (kind === 'data_ready') throw devFailed('API_AttributeNotDataReadyEnabled', `The attribute ${attrName} is not data ready event enabled`, origin);
    const pushed = this.host.isPushed(attr);
    if (kind !== 'user_event' && kind !== 'attr_conf' && !this.host.isPolled(attr)) {
      if (!(pushed && (kind === 'change' || kind === 'archive'))) {
        throw devFailed('API_AttributePollingNotStarted', `The polling (necessary to send events) for the attribute ${attrName} is not started`, origin);
      }
    }
    if ((kind === 'change' || kind === 'archive') && !pushed && attr.toLowerCase() !== 'state' && isNumeric(this.host.attributeType(attr))) {
      const e = this.host.config(attr).events;
      const unset = kind === 'change'
        ? !threshold(e.change.absChange) && !threshold(e.change.relChange)
        : !threshold(e.archive.absChange) && !threshold(e.archive.relChange) && !period(e.archive.period);
      if (unset) {
        const which = kind === 'change' ? 'Event properties (abs_change or rel_change)' : 'Archive event properties (archive_abs_change or archive_rel_change or archive_period)';
        throw devFailed('API_EventPropertiesNotSet', `${which} for attribute ${attr} are not set`, origin);
      }
    }
    return { attr, kind, version };
  }

  /** whether anyone still listens to this attribute's events of this kind */
  wanted(attr: string, kind: EventKind, now = Date.now()): boolean {
    for (const s of this.active(now)) if (s.kind === kind && s.attr.toLowerCase() === attr.toLowerCase()) return true;
    return false;
  }

  /** attributes with live subscriptions (any kind) */
  subscribedAttributes(now = Date.now()): Set<string> {
    return new Set(this.active(now).map((s) => s.attr));
  }

  get subscriptionCount(): number {
    return this.active(Date.now()).length;
  }

  /**
   * A new reading of an attribute: from polling (every kind) or from the device's own push
   * (change and archive). Sends what the criteria say is an event.
   */
  async onReading(reading: AttributeReading, source: 'poll' | 'push', now = Date.now()): Promise<void> {
    const subs = this.active(now).filter((s) => s.attr.toLowerCase() === reading.name.toLowerCase());
    if (subs.length === 0) return;
    const cfg = this.host.config(subs[0].attr).events;
    const due = new Set<EventKind>();
    const test = (kind: EventKind, isEvent: (prev: { reading: AttributeReading; at: number } | undefined) => boolean): void => {
      if (!subs.some((s) => s.kind === kind)) return;
      const key = `${kind}`;
      const prev = this.lastOf(reading.name, key);
      if (isEvent(prev)) {
        due.add(kind);
        this.last.set(`${reading.name.toLowerCase()}/${key}`, { reading, at: now });
      }
    };
    test('change', (prev) => !prev || changed(prev.reading, reading, threshold(cfg.change.absChange), threshold(cfg.change.relChange)));
    if (source === 'poll') {
      const per = period(cfg.periodic.period) ?? 1000;
      test('periodic', (prev) => !prev || now - prev.at >= per * PERIOD_TOLERANCE);
      test('quality', (prev) => !prev || prev.reading.quality !== reading.quality);
    }
    const archPeriod = period(cfg.archive.period);
    test('archive', (prev) => !prev || changed(prev.reading, reading, threshold(cfg.archive.absChange), threshold(cfg.archive.relChange))
      || (archPeriod !== undefined && source === 'poll' && now - prev.at >= archPeriod * PERIOD_TOLERANCE));
    if (due.size === 0) return;
    const supplier = await this.host.supplier();
    for (const s of subs) if (due.has(s.kind)) this.publish(supplier, s, reading);
  }

  /** the attribute's configuration changed (set_attribute_config): attr_conf events */
  async onConfig(config: AttributeConfig, now = Date.now()): Promise<void> {
    const subs = this.active(now).filter((s) => s.kind === 'attr_conf' && s.attr.toLowerCase() === config.name.toLowerCase());
    if (subs.length === 0) return;
    const supplier = await this.host.supplier();
    for (const s of subs) {
      for (const v of s.versions) supplier.push(this.topic(s.attr, s.kind, v), eventData((w) => writeAttributeConfig(w, config, v === 5 ? 5 : 3)), false);
    }
  }

  /** a reading pushed by the device as a user event */
  async pushUserEvent(reading: AttributeReading, now = Date.now()): Promise<void> {
    const subs = this.active(now).filter((s) => s.kind === 'user_event' && s.attr.toLowerCase() === reading.name.toLowerCase());
    if (subs.length === 0) return;
    const supplier = await this.host.supplier();
    for (const s of subs) this.publish(supplier, s, reading);
  }

  /**
   * Takes a reading as already sent for change/archive (a new subscriber reads the value itself
   * when subscribing; the device's own pushes start from there), unless something was sent.
   */
  seed(reading: AttributeReading, now = Date.now()): void {
    for (const kind of ['change', 'archive']) {
      const key = `${reading.name.toLowerCase()}/${kind}`;
      if (!this.last.has(key)) this.last.set(key, { reading, at: now });
    }
  }

  private lastOf(attr: string, key: string) {
    return this.last.get(`${attr.toLowerCase()}/${key}`);
  }

  private active(now: number): Subscription[] {
    const out: Subscription[] = [];
    for (const [key, s] of this.subs) {
      if (now - s.confirmed > SUBSCRIPTION_LIFETIME_MS) this.subs.delete(key);
      else out.push(s);
    }
    return out;
  }

  private publish(supplier: ZmqEventSupplier, s: Subscription, reading: AttributeReading): void {
    for (const v of s.versions) {
      const topic = this.topic(s.attr, s.kind, v);
      if (reading.errors.length > 0) supplier.push(topic, eventData((w) => writeDevErrorList(w, reading.errors)), true);
      else supplier.push(topic, eventData((w) => writeAttributeValue45(w, reading, v)), false);
    }
  }
}
