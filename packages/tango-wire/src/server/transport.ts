/**
 * The server side of GIOP over TCP: accepts connections, cuts the byte stream into messages,
 * hands each Request to a dispatcher and writes its reply (normal, DevFailed/MultiDevFailed user
 * exception, or CORBA system exception) in the request's GIOP version and byte order. A corrupt
 * stream gets a MessageError and the connection is closed; the process keeps running.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { CdrError, CdrReader, type CdrWriter } from '../cdr.js';
import {
  CompletionStatus, GiopStreamParser, LocateStatus, MsgType, ReplyStatus, readLocateRequest, readRequestHeader,
  writeLocateReply, writeMessageError, writeReply, writeSystemException, writeCloseConnection,
  type GiopMessage, type ServiceContext,
} from '../giop.js';
import { CorbaSystemException, MULTI_DEV_FAILED_ID, TangoDevFailed, TangoMultiDevFailed } from '../errors.js';
import { devError, writeDevErrorList, writeDevFailed } from '../idl.js';
import { ErrSeverity } from '../enums.js';

/** A decoded request as a dispatcher sees it. */
export interface GiopRequest {
  readonly minor: number;
  readonly littleEndian: boolean;
  readonly requestId: number;
  readonly responseExpected: boolean;
  /** the object key as a latin-1 string (Tango keys are device names) */
  readonly key: string;
  readonly operation: string;
  readonly serviceContexts: readonly ServiceContext[];
  /** positioned at the request body */
  readonly body: CdrReader;
  /** "host:port" of the client, for the black box */
  readonly peer: string;
}

/** Writes the reply body; undefined for operations returning void. */
export type ReplyWriter = ((w: CdrWriter) => void) | undefined;

export interface Dispatcher {
  /** true when an object with this key exists (LocateRequest, OBJECT_NOT_EXIST) */
  hasObject(key: string): boolean;
  dispatch(req: GiopRequest): ReplyWriter | Promise<ReplyWriter>;
}

export interface GiopServerOptions {
  readonly dispatcher: Dispatcher;
  /** listen address; default all interfaces */
  readonly host?: string;
  /** 0 picks a free port */
  readonly port: number;
  /** larger messages are refused (MessageError + close); default 64 MiB */
  readonly maxMessageSize?: number;
  /** told about protocol errors and handler crashes */
  readonly onError?: (msg: string) => void;
}

export const CORBA_PREFIX = 'IDL:omg.org/CORBA/';

/** A CORBA system exception to throw from a handler, e.g. systemException('BAD_OPERATION'). */
export function systemException(name: string, minor = 0, completed = CompletionStatus.NO): CorbaSystemException {
  return new CorbaSystemException(`${CORBA_PREFIX}${name}:1.0`, minor, completed);
}

/** A DevFailed to throw from a handler. */
export function devFailed(reason: string, desc: string, origin: string): TangoDevFailed {
  return new TangoDevFailed([devError(reason, desc, origin, ErrSeverity.ERR)]);
}

const latin1 = new TextDecoder('latin1');

export class GiopServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly maxSize: number;
  private closing = false;

  constructor(private readonly options: GiopServerOptions) {
    this.maxSize = options.maxMessageSize ?? 64 * 1024 * 1024;
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening; resolves with the bound port. */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : this.options.port);
      });
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stops accepting, tells clients with CloseConnection and closes every connection. */
  async close(): Promise<void> {
    this.closing = true;
    const done = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) {
      try {
        s.end(writeCloseConnection(0));
      } catch {
        /* already gone */
      }
      s.destroySoon?.();
      setTimeout(() => s.destroy(), 200).unref();
    }
    await done;
  }

  private accept(s: Socket): void {
    if (this.closing) {
      s.destroy();
      return;
    }
    this.sockets.add(s);
    s.setNoDelay(true);
    const peer = `${s.remoteAddress ?? '?'}:${s.remotePort ?? 0}`;
    const parser = new GiopStreamParser(this.maxSize);
    s.on('data', (chunk: Buffer) => {
      let messages: GiopMessage[];
      try {
        messages = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch (e) {
        this.fail(s, `${peer}: ${(e as Error).message}`);
        return;
      }
      for (const m of messages) {
        if (s.destroyed) return;
        this.onMessage(s, m, peer);
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.sockets.delete(s));
  }

  /** a protocol violation: MessageError, then the connection is dropped */
  private fail(s: Socket, why: string, minor = 0): void {
    this.options.onError?.(`GIOP protocol error, closing the connection: ${why}`);
    if (s.destroyed) return;
    s.end(writeMessageError(minor));
    setTimeout(() => s.destroy(), 100).unref();
  }

  private onMessage(s: Socket, m: GiopMessage, peer: string): void {
    const h = m.header;
    switch (h.type) {
      case MsgType.Request:
        this.onRequest(s, m, peer);
        return;
      case MsgType.LocateRequest: {
        let req;
        try {
          req = readLocateRequest(m.reader(), h.minor);
        } catch (e) {
          this.fail(s, `${peer}: bad LocateRequest: ${(e as Error).message}`, h.minor);
          return;
        }
        const here = req.target === undefined || req.target.kind === 'key' ? this.options.dispatcher.hasObject(latin1.decode(req.objectKey)) : false;
        s.write(writeLocateReply(h.minor, req.requestId, here ? LocateStatus.OBJECT_HERE : LocateStatus.UNKNOWN_OBJECT));
        return;
      }
      case MsgType.CancelRequest:
        return; // replies are cheap to send anyway; the client discards them
      case MsgType.CloseConnection:
        s.end();
        return;
      case MsgType.MessageError:
        s.destroy();
        return;
      default:
        this.fail(s, `${peer}: unexpected ${MsgType[h.type]} message from a client`, h.minor);
    }
  }

  private onRequest(s: Socket, m: GiopMessage, peer: string): void {
    const { minor, littleEndian } = m.header;
    const r = m.reader();
    let hdr;
    try {
      hdr = readRequestHeader(r, minor);
    } catch (e) {
      this.fail(s, `${peer}: bad Request header: ${(e as Error).message}`, minor);
      return;
    }
    const send = (status: ReplyStatus, body: ReplyWriter): void => {
      if (!hdr.responseExpected || s.destroyed) return;
      let bytes: Uint8Array;
      try {
        bytes = writeReply(minor, { requestId: hdr.requestId, status }, body, littleEndian);
      } catch (e) {
        // the handler produced a value its type cannot carry: tell the client instead of hanging it
        this.options.onError?.(`${hdr.operation}: encoding the reply failed: ${(e as Error).message}`);
        bytes = writeReply(minor, { requestId: hdr.requestId, status: ReplyStatus.SYSTEM_EXCEPTION },
          (w) => writeSystemException(w, { id: `${CORBA_PREFIX}MARSHAL:1.0`, minor: 0, completed: CompletionStatus.MAYBE }), littleEndian);
      }
      s.write(bytes);
    };
    if (hdr.target && hdr.target.kind !== 'key') {
      // only KeyAddr is understood: ask the client to use it (AddressingDisposition 0)
      send(ReplyStatus.NEEDS_ADDRESSING_MODE, (w) => w.short(0));
      return;
    }
    const req: GiopRequest = {
      minor, littleEndian, requestId: hdr.requestId, responseExpected: hdr.responseExpected,
      key: latin1.decode(hdr.objectKey), operation: hdr.operation, serviceContexts: hdr.serviceContexts, body: r, peer,
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
    if (e instanceof TangoMultiDevFailed) {
      return [ReplyStatus.USER_EXCEPTION, (w) => {
        w.string(MULTI_DEV_FAILED_ID);
        w.ulong(e.failures.length);
        for (const f of e.failures) {
          w.string(f.name).long(f.index);
          writeDevErrorList(w, f.errors);
        }
      }];
    }
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
