/**
 * Client side of one GIOP/TCP connection to a server endpoint: request-id multiplexing, per-call
 * timeouts, fragment reassembly, and transparent reconnection when the peer closed the connection
 * (CloseConnection, or an idle close racing with a new request).
 */
import { Socket, connect } from 'node:net';
import { CdrReader } from './cdr.js';
import { TangoConnectionError, TangoProtocolError, TangoTimeoutError } from './errors.js';
import {
  beginMessage, codeSetsContext, finishMessage, GiopMessage, GiopStreamParser, LocateStatus, MsgType, readLocateReply,
  readReplyHeader, ReplyHeader, writeLocateRequest, writeRequest,
} from './giop.js';
import { CdrWriter } from './cdr.js';

export interface ReplyMessage {
  header: ReplyHeader;
  minor: number;
  /** positioned at the reply body */
  reader: CdrReader;
}

export interface ConnectionOptions {
  connectTimeoutMs?: number;
  maxMessageSize?: number;
}

interface Pending {
  id: number;
  build: (requestId: number, first: boolean) => Uint8Array;
  resolve: (m: GiopMessage) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
  retried: boolean;
  socket?: Socket;
  /** the socket had carried earlier replies when this request was written (an idle close may race) */
  reused: boolean;
}

export class GiopConnection {
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private parser = new GiopStreamParser();
  private nextId = 1;
  private pending = new Map<number, Pending>();
  private sentCodeSets = false;
  private repliesOnSocket = 0;
  private closedByUser = false;
  /** number of TCP connections opened so far (for tests and diagnostics) */
  connectCount = 0;

  constructor(readonly host: string, readonly port: number, private readonly opts: ConnectionOptions = {}) {}

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** Sends a two-way request and resolves with the reply (any reply status). */
  async request(
    objectKey: Uint8Array,
    giopMinor: number,
    operation: string,
    body: ((w: CdrWriter) => void) | undefined,
    timeoutMs: number,
  ): Promise<ReplyMessage> {
    const msg = await this.send(
      (requestId, first) => writeRequest(giopMinor, {
        requestId, responseExpected: true, objectKey, operation,
        // omniORB sends the code sets once per connection; GIOP 1.0 has no code set negotiation
        serviceContexts: first && giopMinor >= 1 ? [codeSetsContext()] : [],
      }, body),
      timeoutMs,
      `${operation} on ${this.endpoint}`,
    );
    if (msg.header.type !== MsgType.Reply) throw new TangoProtocolError(`${operation}: expected a Reply, got message type ${msg.header.type}`);
    const reader = msg.reader();
    const header = readReplyHeader(reader, msg.header.minor);
    return { header, minor: msg.header.minor, reader };
  }

  async locate(objectKey: Uint8Array, giopMinor: number, timeoutMs: number): Promise<LocateStatus> {
    const msg = await this.send((id) => writeLocateRequest(giopMinor, id, objectKey), timeoutMs, `LocateRequest to ${this.endpoint}`);
    return readLocateReply(msg.reader()).status;
  }

  /** Closes the connection (sends CloseConnection) and fails pending calls. */
  close(): void {
    this.closedByUser = true;
    const s = this.socket;
    if (s && !s.destroyed) {
      s.end(finishMessage(beginMessage(0, MsgType.CloseConnection)));
    }
    this.failAll(new TangoConnectionError(`connection to ${this.endpoint} closed by the client`));
    this.socket = undefined;
  }

  private send(build: Pending['build'], timeoutMs: number, what: string): Promise<GiopMessage> {
    this.closedByUser = false;
    return new Promise<GiopMessage>((resolve, reject) => {
      const id = this.nextId;
      this.nextId = (this.nextId + 2) >>> 0 || 1;
      const p: Pending = { id, build, resolve, reject, retried: false, reused: false };
      p.timer = setTimeout(() => {
        if (!this.pending.delete(id)) return;
        this.cancel(id, p.socket);
        reject(new TangoTimeoutError(`${what}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      p.timer.unref?.();
      const done = (fn: () => void) => () => {
        clearTimeout(p.timer);
        // an idle connection must not keep the process alive (CLI tools exit without close())
        if (this.pending.size === 0) this.socket?.unref();
        fn();
      };
      p.resolve = (m) => done(() => resolve(m))();
      p.reject = (e) => done(() => reject(e))();
      this.pending.set(id, p);
      this.transmit(p);
    });
  }

  private transmit(p: Pending): void {
    this.ensureSocket().then(
      (s) => {
        if (!this.pending.has(p.id)) return; // timed out while connecting
        const first = !this.sentCodeSets;
        this.sentCodeSets = true;
        p.socket = s;
        s.ref();
        p.reused = this.repliesOnSocket > 0;
        let bytes: Uint8Array;
        try {
          bytes = p.build(p.id, first);
        } catch (e) {
          this.pending.delete(p.id);
          p.reject(e as Error);
          return;
        }
        s.write(bytes);
      },
      (e: Error) => {
        if (this.pending.delete(p.id)) p.reject(e);
      },
    );
  }

  private cancel(id: number, s: Socket | undefined): void {
    if (!s || s.destroyed || s !== this.socket) return;
    const w = beginMessage(0, MsgType.CancelRequest);
    w.ulong(id);
    s.write(finishMessage(w));
  }

  private ensureSocket(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed && this.socket.writable) return Promise.resolve(this.socket);
    if (this.connecting) return this.connecting;
    this.connecting = new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: this.host, port: this.port, noDelay: true });
      const timeout = setTimeout(() => {
        s.destroy();
        reject(new TangoConnectionError(`cannot connect to ${this.endpoint}: no answer within ${this.opts.connectTimeoutMs ?? 3000} ms`));
      }, this.opts.connectTimeoutMs ?? 3000);
      s.once('connect', () => {
        clearTimeout(timeout);
        this.connecting = undefined;
        this.attach(s);
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timeout);
        this.connecting = undefined;
        reject(new TangoConnectionError(`cannot connect to ${this.endpoint}: ${e.message}`));
      });
    });
    return this.connecting;
  }

  private attach(s: Socket): void {
    this.socket = s;
    this.connectCount++;
    this.parser = new GiopStreamParser(this.opts.maxMessageSize);
    this.sentCodeSets = false;
    this.repliesOnSocket = 0;
    s.removeAllListeners('error');
    s.on('data', (chunk: Buffer) => this.onData(s, chunk));
    s.on('error', () => {
      /* reported through 'close' */
    });
    s.on('close', () => this.onClose(s));
  }

  private onData(s: Socket, chunk: Buffer): void {
    if (s !== this.socket) return;
    let messages: GiopMessage[];
    try {
      messages = this.parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (e) {
      this.drop(s, new TangoProtocolError(`corrupt data from ${this.endpoint}: ${(e as Error).message}`));
      return;
    }
    for (const m of messages) {
      switch (m.header.type) {
        case MsgType.Reply:
        case MsgType.LocateReply: {
          let id: number;
          try {
            const r = m.reader();
            id = m.header.type === MsgType.Reply ? readReplyHeader(r, m.header.minor).requestId : readLocateReply(r).requestId;
          } catch (e) {
            this.drop(s, new TangoProtocolError(`undecodable reply from ${this.endpoint}: ${(e as Error).message}`));
            return;
          }
          this.repliesOnSocket++;
          const p = this.pending.get(id);
          if (p) {
            this.pending.delete(id);
            p.resolve(m);
          }
          break;
        }
        case MsgType.CloseConnection:
          // the server promises it did not process requests it has not answered: resend them
          this.retire(s, true);
          return;
        case MsgType.MessageError:
          this.drop(s, new TangoProtocolError(`${this.endpoint} answered MessageError (it could not parse our message)`));
          return;
        default:
          // Requests on a client connection (bidirectional GIOP) are not supported: ignore
          break;
      }
    }
  }

  private onClose(s: Socket): void {
    if (s !== this.socket) return;
    // an orderly close on a connection that had served replies is the idle-close race: retry once
    this.retire(s, false);
  }

  /** Forgets socket s; pending requests sent on it are resent on a new connection when safe, else failed. */
  private retire(s: Socket, serverSaidClose: boolean): void {
    if (s !== this.socket) return;
    this.socket = undefined;
    s.destroy();
    for (const p of [...this.pending.values()]) {
      if (p.socket !== s) continue;
      const safe = serverSaidClose || p.reused;
      if (safe && !p.retried && !this.closedByUser) {
        p.retried = true;
        this.transmit(p);
      } else {
        this.pending.delete(p.id);
        p.reject(new TangoConnectionError(`connection to ${this.endpoint} lost before the reply`));
      }
    }
  }

  private drop(s: Socket, e: Error): void {
    if (s === this.socket) this.socket = undefined;
    s.destroy();
    for (const p of [...this.pending.values()]) {
      if (p.socket === s) {
        this.pending.delete(p.id);
        p.reject(e);
      }
    }
  }

  private failAll(e: Error): void {
    for (const p of [...this.pending.values()]) p.reject(e);
    this.pending.clear();
  }
}
