/**
 * The ZeroMQ side of Tango events as cppTango 9.3 publishes them: a heartbeat PUB socket and an
 * event PUB socket bound to ephemeral ports, the heartbeat every few seconds on
 * `<prefix>dserver/<exec>/<inst>[#dbase=no].heartbeat`, and each event as a 4-part message
 *   [topic, endianness octet, ZmqCallInfo (CDR), data (CDR after a 4-byte 0xDEC0DEC0 pad)]
 * with a per-topic counter the client uses to detect missed events. The byte layout was checked
 * against messages TangoTest (cppTango 9.3.4) publishes.
 */
import { networkInterfaces } from 'node:os';
import { Publisher } from 'zeromq';
import { CdrWriter } from '../cdr.js';

/** ZMQ_EVENT_PROT_VERSION */
const PROTOCOL_VERSION = 1;
/** cppTango sends a heartbeat when 8 s or more passed; its polling thread asks every 9 s */
export const HEARTBEAT_PERIOD_MS = 9000;
/** cppTango's data message starts at offset 4 of a buffer that begins with two pad longs */
const DATA_PAD = 0xdec0dec0;
/** the ZMQ release cppTango reports (major*100 + minor*10 + patch) for libzmq 4.3.x */
export const ZMQ_RELEASE = 434;
/** cppTango's default subscriber high-water mark, returned by ZmqEventSubscriptionChange */
export const ZMQ_SUB_HWM = 1000;

export interface ZmqSupplierOptions {
  /** the address put in the endpoints clients connect to (default: the first non-loopback IPv4) */
  readonly publishAddress?: string;
  /** the heartbeat topic */
  readonly heartbeatTopic: string;
  readonly onError?: (msg: string) => void;
}

/** The first non-internal IPv4 address, as cppTango picks for its endpoints (127.0.0.1 if none). */
export function primaryAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function callInfo(counter: number, isError: boolean): Uint8Array {
  const w = new CdrWriter(true, 0, 'latin1', 32);
  w.long(PROTOCOL_VERSION).ulong(counter >>> 0).string('').octetSeq(new Uint8Array(0)).boolean(isError);
  return w.bytes().slice();
}

/** The data part: fill() writes the IDL value (AttributeValue_5, DevErrorList ...) after the pad. */
export function eventData(fill: (w: CdrWriter) => void): Uint8Array {
  // alignment as in cppTango's buffer: message offset 4 is buffer offset 8
  const w = new CdrWriter(true, -4, 'latin1', 512);
  w.ulong(DATA_PAD);
  fill(w);
  return w.bytes().slice();
}

export class ZmqEventSupplier {
  private heartbeatSocket: Publisher | undefined;
  private eventSocket: Publisher | undefined;
  private heartbeatEp = '';
  private eventEp = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly counters = new Map<string, number>();
  /** sends are serialised: a zeromq socket takes one send at a time */
  private queue: Promise<void> = Promise.resolve();
  private starting: Promise<void> | undefined;
  private closed = false;
  private doubleHeartbeat = false;
  private readonly address: string;

  constructor(private readonly options: ZmqSupplierOptions) {
    this.address = options.publishAddress ?? primaryAddress();
  }

  get heartbeatEndpoint(): string {
    return this.heartbeatEp;
  }

  get eventEndpoint(): string {
    return this.eventEp;
  }

  get heartbeatTopic(): string {
    return this.options.heartbeatTopic;
  }

  /** the heartbeat channel's name as clients are told it: the topic without ".heartbeat" (they append it) */
  get heartbeatChannel(): string {
    return this.options.heartbeatTopic.replace(/\.heartbeat$/, '');
  }

  /** Binds both sockets and starts the heartbeat (once; later calls wait for the first). */
  start(): Promise<void> {
    this.starting ??= (async () => {
      const hb = new Publisher({ linger: 0 });
      const ev = new Publisher({ linger: 0, sendHighWaterMark: 10000 });
      await hb.bind('tcp://*:0');
      await ev.bind('tcp://*:0');
      this.heartbeatSocket = hb;
      this.eventSocket = ev;
      this.heartbeatEp = `tcp://${this.address}:${portOf(hb.lastEndpoint)}`;
      this.eventEp = `tcp://${this.address}:${portOf(ev.lastEndpoint)}`;
      this.timer = setInterval(() => this.heartbeat(), HEARTBEAT_PERIOD_MS);
      this.timer.unref();
      this.heartbeat();
    })();
    return this.starting;
  }

  /** A new client subscribed: like cppTango, the next heartbeat goes out twice (and one now). */
  newClient(): void {
    this.doubleHeartbeat = true;
    this.heartbeat();
  }

  /** The counter of a topic starts at 1 when it is first subscribed. */
  initCounter(topic: string): void {
    if (!this.counters.has(topic)) this.counters.set(topic, 1);
  }

  /** Publishes one event; data from eventData(). */
  push(topic: string, data: Uint8Array, isError: boolean): void {
    const sock = this.eventSocket;
    if (!sock || this.closed) return;
    const ctr = this.counters.get(topic) ?? 0;
    if (this.counters.has(topic)) this.counters.set(topic, ctr + 1);
    const parts = [Buffer.from(topic, 'latin1'), Buffer.from([1]), callInfo(ctr, isError), data];
    this.send(sock, parts);
  }

  private heartbeat(): void {
    const hb = this.heartbeatSocket;
    const ev = this.eventSocket;
    if (!hb || !ev || this.closed) return;
    const times = this.doubleHeartbeat ? 2 : 1;
    this.doubleHeartbeat = false;
    for (let i = 0; i < times; i++) {
      this.send(hb, [Buffer.from(this.options.heartbeatTopic, 'latin1'), Buffer.from([1]), callInfo(0, false)]);
      // cppTango also sends a one-part message on the event socket with each heartbeat, so libzmq
      // releases what reconnecting subscribers left behind; clients ignore it
      this.send(ev, [Buffer.from('I like beer')]);
    }
  }

  private send(sock: Publisher, parts: (Uint8Array | Buffer)[]): void {
    this.queue = this.queue.then(() => sock.send(parts)).catch((e: unknown) => {
      if (!this.closed) this.options.onError?.(`ZMQ event publishing failed: ${(e as Error).message}`);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.starting?.catch(() => undefined);
    await this.queue;
    this.heartbeatSocket?.close();
    this.eventSocket?.close();
  }
}

function portOf(endpoint: string | null): string {
  const m = /:(\d+)$/.exec(endpoint ?? '');
  if (!m) throw new Error(`cannot tell the port of the ZMQ endpoint '${endpoint}'`);
  return m[1];
}
