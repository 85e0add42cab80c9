/**
 * Server-side GIOP primitives: accept TCP connections, parse requests (any GIOP 1.0–1.2 version,
 * either byte order, fragmented or not), hand them to a dispatcher and write the replies in the
 * request's GIOP version: results, DevFailed user exceptions, CORBA system exceptions,
 * LocateReply and NEEDS_ADDRESSING_MODE. Knows nothing about devices: that is the dispatcher's job.
 */
import { createServer, Server, Socket } from 'node:net';
import { CdrError, CdrReader, CdrWriter } from './cdr.js';
import { DevError, TangoDevFailed } from './errors.js';
import {
  beginMessage, CompletionStatus, finishMessage, GiopMessage, GiopStreamParser, LocateStatus, MsgType, readLocateRequest,
  readRequestHeader, ReplyStatus, RequestHeader, writeCloseConnection, writeLocateReply, writeMessageError,
  writeReply, writeSystemException,
} from './giop.js';
import { writeDevFailed } from './idl.js';

export interface IncomingRequest {
  header: RequestHeader;
  /** GIOP minor version of the request (the reply uses the same) */
  minor: number;
  /** the object key as latin-1 text (Tango servers use device names as keys) */
  key: string;
  /** positioned at the request body (the in-parameters) */
  body: CdrReader;
  remote: string;
}

/** Writes the result (out-parameters) of a request; undefined for void. */
export type ReplyBody = ((w: CdrWriter) => void) | undefined;

export interface Dispatcher {
  /** Handles a request. Throw TangoDevFailed for DevFailed, SystemException for CORBA exceptions. */
  request(req: IncomingRequest): ReplyBody | Promise<ReplyBody>;
  /** Whether an object key is served here (LocateRequest); default: yes. */
  locate?(key: string): boolean;
}

/** A CORBA system exception to send back (e.g. new SystemException('BAD_OPERATION')). */
export class SystemException extends Error {
  override readonly name = 'SystemException';
  readonly id: string;
  constructor(name: string, readonly minor = 0, readonly completed = CompletionStatus.NO) {
    super(`CORBA ${name}`);
    this.id = name.startsWith('IDL:') ? name : `IDL:omg.org/CORBA/${name}:1.0`;
  }
}

export interface GiopServerOptions {
  maxMessageSize?: number;
}

export class GiopServer {
  private server: Server;
  private sockets = new Set<Socket>();

  constructor(private readonly dispatcher: Dispatcher, private readonly opts: GiopServerOptions = {}) {
    this.server = createServer((s) => this.accept(s));
  }

  /** Starts listening; port 0 picks a free port. Resolves with the bound port. */
  listen(port = 0, host?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const a = this.server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Sends CloseConnection on every connection and closes them (an orderly idle close, as omniORB does). */
  closeConnections(): void {
    for (const s of this.sockets) {
      s.end(writeCloseConnection(0));
    }
  }

  async close(): Promise<void> {
    this.closeConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
  }

  private accept(s: Socket): void {
    this.sockets.add(s);
    s.setNoDelay(true);
    const parser = new GiopStreamParser(this.opts.maxMessageSize);
    const remote = `${s.remoteAddress}:${s.remotePort}`;
    const cancelled = new Set<number>();
    s.on('data', (chunk: Buffer) => {
      let messages: GiopMessage[];
      try {
        messages = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      } catch {
        // unparseable stream: tell the peer and drop the connection (never throw out of here)
        s.end(writeMessageError(0));
        return;
      }
      for (const m of messages) this.handle(s, m, remote, cancelled);
    });
    s.on('error', () => {
      /* the peer went away; 'close' cleans up */
    });
    s.on('close', () => this.sockets.delete(s));
  }

  private handle(s: Socket, m: GiopMessage, remote: string, cancelled: Set<number>): void {
    const minor = m.header.minor;
    const r = m.reader();
    try {
      switch (m.header.type) {
        case MsgType.Request: {
          const header = readRequestHeader(r, minor);
          void this.serve(s, { header, minor, key: latin1(header.objectKey), body: r, remote }, cancelled);
          return;
        }
        case MsgType.LocateRequest: {
          const lr = readLocateRequest(r, minor);
          const status = lr.target && lr.target.kind !== 'key' ? LocateStatus.LOC_NEEDS_ADDRESSING_MODE
            : (this.dispatcher.locate?.(latin1(lr.objectKey)) ?? true) ? LocateStatus.OBJECT_HERE : LocateStatus.UNKNOWN_OBJECT;
          if (status === LocateStatus.LOC_NEEDS_ADDRESSING_MODE) {
            const w = beginMessage(minor, MsgType.LocateReply);
            w.ulong(lr.requestId).ulong(status).short(0);
            write(s, finishMessage(w));
          } else {
            write(s, writeLocateReply(minor, lr.requestId, status));
          }
          return;
        }
        case MsgType.CancelRequest:
          cancelled.add(r.ulong());
          return;
        case MsgType.CloseConnection:
          s.end();
          return;
        case MsgType.MessageError:
          s.destroy();
          return;
        default:
          // Reply/LocateReply/stray Fragment on a server connection: a protocol error
          s.end(writeMessageError(minor));
      }
    } catch {
      // a header that does not decode: MessageError, as the spec asks
      s.end(writeMessageError(minor));
    }
  }

  private async serve(s: Socket, req: IncomingRequest, cancelled: Set<number>): Promise<void> {
    const { header, minor } = req;
    const reply = (status: ReplyStatus, body?: (w: CdrWriter) => void) => {
      if (!header.responseExpected) return;
      if (cancelled.delete(header.requestId)) return;
      let bytes: Uint8Array;
      try {
        bytes = writeReply(minor, { requestId: header.requestId, status }, body);
      } catch {
        // a result or exception that does not encode (e.g. a non-latin-1 string): MARSHAL instead
        bytes = writeReply(minor, { requestId: header.requestId, status: ReplyStatus.SYSTEM_EXCEPTION }, (w) => writeSystemException(w, { id: 'IDL:omg.org/CORBA/MARSHAL:1.0', minor: 0, completed: CompletionStatus.MAYBE }));
      }
      write(s, bytes);
    };
    if (header.target && header.target.kind !== 'key') {
      reply(ReplyStatus.NEEDS_ADDRESSING_MODE, (w) => w.short(0));
      return;
    }
    let body: ReplyBody;
    try {
      body = await this.dispatcher.request(req);
    } catch (e) {
      if (e instanceof TangoDevFailed) reply(ReplyStatus.USER_EXCEPTION, (w) => writeDevFailed(w, e.errors));
      else if (e instanceof SystemException) reply(ReplyStatus.SYSTEM_EXCEPTION, (w) => writeSystemException(w, { id: e.id, minor: e.minor, completed: e.completed }));
      else if (e instanceof CdrError) reply(ReplyStatus.SYSTEM_EXCEPTION, (w) => writeSystemException(w, { id: 'IDL:omg.org/CORBA/MARSHAL:1.0', minor: 0, completed: CompletionStatus.NO }));
      else reply(ReplyStatus.SYSTEM_EXCEPTION, (w) => writeSystemException(w, { id: 'IDL:omg.org/CORBA/UNKNOWN:1.0', minor: 0, completed: CompletionStatus.MAYBE }));
      return;
    }
    reply(ReplyStatus.NO_EXCEPTION, body);
  }
}

function write(s: Socket, bytes: Uint8Array): void {
  if (!s.destroyed && s.writable) s.write(bytes);
}

function latin1(b: Uint8Array): string {
  return String.fromCharCode(...b);
}

/** A DevFailed to throw from a dispatcher. */
export function devFailed(reason: string, desc: string, origin: string): TangoDevFailed {
  const e: DevError = { reason, severity: 1, desc, origin };
  return new TangoDevFailed([e]);
}
