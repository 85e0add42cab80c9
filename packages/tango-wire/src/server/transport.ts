/**
 * The server side of GIOP over TCP: accepts connections, cuts the byte stream into messages
 * (GIOP 1.0–1.2, either byte order, fragmented or not, bounded in size), hands each Request to a
 * dispatcher and writes its reply in the request's GIOP version and byte order: a result, a
 * DevFailed/MultiDevFailed user exception, a CORBA system exception or NEEDS_ADDRESSING_MODE.
 * Answers LocateRequest, honours CancelRequest, oneway requests and CloseConnection; a corrupt
 * stream gets a MessageError and the connection is closed, the process keeps running. What a
 * client can make the server hold is bounded: bytes per connection (incomplete requests together,
 * unread replies), the number of connections, and idle connections are closed. Strings outside
 * Latin-1 are transliterated in replies. Knows nothing about devices: that is the dispatcher's job.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CdrError, decodeLatin1, type CdrReader, type CdrWriter } from '../cdr.js';
import {
  CompletionStatus, GiopStreamParser, LocateStatus, MsgType, ReplyStatus, readLocateRequest, readRequestHeader,
  writeLocateReply, writeMessageError, writeReply, writeSystemException, writeCloseConnection,
  type GiopMessage, type ServiceContext,
} from '../giop.js';
import { CorbaSystemException, TangoDevFailed, TangoMultiDevFailed } from '../errors.js';
import { devError, writeDevFailed, writeMultiDevFailed } from '../idl.js';

/** A decoded request as a dispatcher sees it. */
export interface GiopRequest {
  /** GIOP minor version of the request (the reply uses the same) */
  readonly minor: number;
  readonly littleEndian: boolean;
  readonly requestId: number;
  /** false for oneway requests: no reply is sent */
  readonly responseExpected: boolean;
  /** the object key as latin-1 text (Tango keys are device names) */
  readonly key: string;
  readonly operation: string;
  readonly serviceContexts: readonly ServiceContext[];
  /** positioned at the request body (the in-parameters) */
  readonly body: CdrReader;
  /** "host:port" of the client, for the black box */
  readonly peer: string;
}

/** Writes the reply body (out-parameters); undefined for operations returning void. */
export type ReplyWriter = ((w: CdrWriter) => void) | undefined;

export interface Dispatcher {
  /**
   * Handles a request. Throw TangoDevFailed / TangoMultiDevFailed for user exceptions,
   * CorbaSystemException (systemException()) for system exceptions; a CdrError (undecodable
   * arguments) becomes MARSHAL, anything else a DevFailed API_InternalError.
   */
  dispatch(req: GiopRequest): ReplyWriter | Promise<ReplyWriter>;
  /** whether an object with this key is served here (LocateRequest); default: yes */
  hasObject?(key: string): boolean;
}

export interface GiopServerOptions {
  readonly dispatcher: Dispatcher;
  /** listen address; default all interfaces */
  readonly host?: string;
  /** 0 (the default) picks a free port */
  readonly port?: number;
  /** larger messages are refused (MessageError + close); default 64 MiB */
  readonly maxMessageSize?: number;
  /**
   * bytes one connection may hold: its incomplete and partial fragmented requests together, and
   * separately its replies not yet taken by the client; beyond it the connection is closed.
   * Default: maxMessageSize
   */
  readonly maxConnectionBytes?: number;
  /** connections open at once (default 128); at the limit the longest idle one is closed for a new one */
  readonly maxConnections?: number;
  /** a connection with no traffic and no request in progress for this long is closed (ms; default 180 s, 0: never) */
  readonly idleTimeoutMs?: number;
  /** told about protocol errors and handler crashes */
  readonly onError?: (msg: string) => void;
}

export const CORBA_PREFIX = 'IDL:omg.org/CORBA/';

/**
 * omniORB's minor codes for the system exceptions a server raises itself, as cppTango servers send
 * them: clients print their names (PyTango: "OBJECT_NOT_EXIST_NoMatch"; minor 0 reads "ORB has
 * returned NULL pointer").
 */
export const OMNI_MINOR = {
  /** no servant for the object key */
  OBJECT_NOT_EXIST_NoMatch: 0x4f4d0001,
  /** an operation the interface does not have */
  BAD_OPERATION_UnRecognisedOperationName: 0x41540026,
} as const;

/** A CORBA system exception to throw from a handler, e.g. systemException('BAD_OPERATION'). */
export function systemException(name: string, minor = 0, completed = CompletionStatus.NO): CorbaSystemException {
  return new CorbaSystemException(name.startsWith('IDL:') ? name : `${CORBA_PREFIX}${name}:1.0`, minor, completed);
}

const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024 * 1024;
export const DEFAULT_MAX_CONNECTIONS = 128;
/** as omniORB closes idle incoming connections (inConScanPeriod) */
export const DEFAULT_IDLE_TIMEOUT_MS = 180_000;

/** Per-connection state: the requests awaiting a reply and those the client cancelled. */
interface Connection {
  readonly s: Socket;
  readonly peer: string;
  readonly pending: Set<number>;
  readonly cancelled: Set<number>;
  /** when the client last sent something (performance.now()) */
  lastActive: number;
}

/** CloseConnection, then the socket is closed: the client reconnects and resends what was pending */
function closeOrderly(s: Socket): void {
  if (!s.destroyed && !s.writableEnded) s.end(writeCloseConnection(0));
  setTimeout(() => s.destroy(), 200).unref();
}

export class GiopServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly maxSize: number;
  private readonly maxHeld: number;
  private closing = false;

  constructor(private readonly options: GiopServerOptions) {
    this.maxSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
    this.maxHeld = options.maxConnectionBytes ?? this.maxSize;
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    const port = this.options.port ?? 0;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.options.host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Sends CloseConnection on every connection and closes it (an orderly close of idle
   * connections, as omniORB does): clients reconnect and resend what was pending.
   */
  closeConnections(): void {
    for (const c of this.connections) closeOrderly(c.s);
  }

  /** Stops accepting, closes every connection with CloseConnection and resolves once all are gone. */
  async close(): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.closeConnections();
    await done;
  }

  private accept(s: Socket): void {
    if (this.closing || !this.makeRoom(s)) {
      s.destroy();
      return;
    }
    s.setNoDelay(true);
    const c: Connection = {
      s, peer: `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`, pending: new Set(), cancelled: new Set(), lastActive: performance.now(),
    };
    const parser = new GiopStreamParser(this.maxSize, this.maxHeld);
    this.connections.add(c);
    const idle = this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (idle > 0) {
      s.setTimeout(idle);
      // no traffic for that long: closed, a half-sent message included (a client that stalls
      // mid-message holds memory); a connection waiting for its reply is not idle
      s.on('timeout', () => {
        if (c.pending.size === 0) closeOrderly(s);
      });
    }
    s.on('data', (chunk: Buffer) => {
      c.lastActive = performance.now();
      let messages: GiopMessage[];
      try {
        messages = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        this.fail(c, `${(e as Error).message}`);
        return;
      }
      for (const m of messages) {
        if (s.destroyed || s.writableEnded) return;
        try {
          this.onMessage(c, m);
        } catch (e) {
          // never throw out of a socket event: a header that does not decode is a protocol error
          this.fail(c, `bad ${MsgType[m.header.type] ?? m.header.type} message: ${(e as Error).message}`, m.header.minor);
        }
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.connections.delete(c));
  }

  /**
   * At the connection limit, the connection silent the longest gives way (closed in order: its
   * client reconnects when it needs to), so that held-open connections cannot lock clients out.
   * Connections waiting for a reply are kept; when all are, the new one is refused (false).
   */
  private makeRoom(s: Socket): boolean {
    const max = this.options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    if (this.connections.size < max) return true;
    let oldest: Connection | undefined;
    for (const c of this.connections) if (c.pending.size === 0 && (!oldest || c.lastActive < oldest.lastActive)) oldest = c;
    if (!oldest) {
      this.options.onError?.(`refused a connection from ${s.remoteAddress ?? '?'}: ${max} connections are open and busy (the limit)`);
      return false;
    }
    this.connections.delete(oldest);
    closeOrderly(oldest.s);
    return true;
  }

  /** sends bytes; a client that leaves more than its bound of replies unread is dropped */
  private write(c: Connection, bytes: Uint8Array): void {
    const s = c.s;
    if (s.destroyed || s.writableEnded) return;
    if (s.writableLength + bytes.length > this.maxHeld && s.writableLength > 0) {
      this.options.onError?.(`closing the connection: ${c.peer}: more than ${this.maxHeld} bytes of replies not taken by the client`);
      s.destroy();
      return;
    }
    s.write(bytes);
  }

  /** a protocol violation: MessageError, then the connection is dropped */
  private fail(c: Connection, why: string, minor = 0): void {
    this.options.onError?.(`GIOP protocol error, closing the connection: ${c.peer}: ${why}`);
    if (c.s.destroyed) return;
    if (!c.s.writableEnded) c.s.end(writeMessageError(minor));
    setTimeout(() => c.s.destroy(), 100).unref();
  }

  private onMessage(c: Connection, m: GiopMessage): void {
    const { type, minor, littleEndian } = m.header;
    switch (type) {
      case MsgType.Request:
        this.onRequest(c, m);
        return;
      case MsgType.LocateRequest: {
        const req = readLocateRequest(m.reader(), minor);
        if (req.target && req.target.kind !== 'key') {
          // only KeyAddr is understood: ask the client to use it (AddressingDisposition 0)
          this.write(c, writeLocateReply(minor, req.requestId, LocateStatus.LOC_NEEDS_ADDRESSING_MODE, (w) => w.short(0), littleEndian));
          return;
        }
        const here = this.options.dispatcher.hasObject?.(decodeLatin1(req.objectKey)) ?? true;
        this.write(c, writeLocateReply(minor, req.requestId, here ? LocateStatus.OBJECT_HERE : LocateStatus.UNKNOWN_OBJECT, undefined, littleEndian));
        return;
      }
      case MsgType.CancelRequest: {
        // the reply to a cancelled request is not sent (only requests still running can be cancelled)
        const id = m.reader().ulong();
        if (c.pending.has(id)) c.cancelled.add(id);
        return;
      }
      case MsgType.CloseConnection:
        c.s.end();
        return;
      case MsgType.MessageError:
        c.s.destroy();
        return;
      default:
        // Reply/LocateReply/stray Fragment on a server connection
        this.fail(c, `unexpected ${MsgType[type] ?? type} message from a client`, minor);
    }
  }

  private onRequest(c: Connection, m: GiopMessage): void {
    const { minor, littleEndian } = m.header;
    const r = m.reader();
    const hdr = readRequestHeader(r, minor);
    const id = hdr.requestId;
    if (hdr.responseExpected) c.pending.add(id);
    const send = (status: ReplyStatus, body: ReplyWriter): void => {
      if (!hdr.responseExpected) return;
      c.pending.delete(id);
      if (c.cancelled.delete(id)) return;
      let bytes: Uint8Array;
      try {
        // characters outside Latin-1 are transliterated: the client gets the message, not MARSHAL
        bytes = writeReply(minor, { requestId: id, status }, body, littleEndian, 'latin1-transliterated');
      } catch (e) {
        // a result or exception its type cannot carry: MARSHAL instead of a hung client
        this.options.onError?.(`${hdr.operation}: encoding the reply failed: ${(e as Error).message}`);
        bytes = writeReply(minor, { requestId: id, status: ReplyStatus.SYSTEM_EXCEPTION },
          (w) => writeSystemException(w, { id: `${CORBA_PREFIX}MARSHAL:1.0`, minor: 0, completed: CompletionStatus.MAYBE }), littleEndian);
      }
      this.write(c, bytes);
    };
    if (hdr.target && hdr.target.kind !== 'key') {
      // only KeyAddr is understood: ask the client to use it (AddressingDisposition 0)
      send(ReplyStatus.NEEDS_ADDRESSING_MODE, (w) => w.short(0));
      return;
    }
    const req: GiopRequest = {
      minor, littleEndian, requestId: id, responseExpected: hdr.responseExpected,
      key: decodeLatin1(hdr.objectKey), operation: hdr.operation, serviceContexts: hdr.serviceContexts, body: r, peer: c.peer,
    };
    let result: ReplyWriter | Promise<ReplyWriter>;
    try {
      result = this.options.dispatcher.dispatch(req);
    } catch (e) {
      send(...this.errorReply(e, req));
      return;
    }
    if (result instanceof Promise) {
      result.then((body) => send(ReplyStatus.NO_EXCEPTION, body), (e: unknown) => send(...this.errorReply(e, req)));
    } else {
      send(ReplyStatus.NO_EXCEPTION, result);
    }
  }

  private errorReply(e: unknown, req: GiopRequest): [ReplyStatus, ReplyWriter] {
    if (e instanceof TangoDevFailed) return [ReplyStatus.USER_EXCEPTION, (w) => writeDevFailed(w, e.errors)];
    if (e instanceof TangoMultiDevFailed) return [ReplyStatus.USER_EXCEPTION, (w) => writeMultiDevFailed(w, e.failures)];
    if (e instanceof CorbaSystemException) {
      return [ReplyStatus.SYSTEM_EXCEPTION, (w) => writeSystemException(w, { id: e.id, minor: e.minor, completed: e.completed })];
    }
    if (e instanceof CdrError) {
      // the arguments could not be decoded
      return [ReplyStatus.SYSTEM_EXCEPTION, (w) => writeSystemException(w, { id: `${CORBA_PREFIX}MARSHAL:1.0`, minor: 0, completed: CompletionStatus.NO })];
    }
    const msg = e instanceof Error ? e.message : String(e);
    this.options.onError?.(`${req.key} ${req.operation}: unexpected failure: ${e instanceof Error ? e.stack : msg}`);
    return [ReplyStatus.USER_EXCEPTION, (w) => writeDevFailed(w, [devError('API_InternalError', msg, `${req.key}/${req.operation}`)])];
  }
}


