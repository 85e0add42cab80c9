/**
 * The client-side call layer: one GiopConnection per endpoint, and invoke() which sends a request
 * to an ObjectRef and turns the reply status into a result or a typed error (DevFailed, system
 * exception), following LOCATION_FORWARD replies.
 */
import { CdrReader, CdrWriter } from './cdr.js';
import { GiopConnection, ConnectionOptions } from './connection.js';
import { CorbaSystemException, TangoProtocolError } from './errors.js';
import { LocateStatus, readSystemException, ReplyStatus } from './giop.js';
import { readUserException } from './idl.js';
import { iorToObjectRef, keyToString, ObjectRef, Ior, TAG_INTERNET_IOP } from './ior.js';

export const DEFAULT_TIMEOUT_MS = 3000;

export interface InvokeOptions {
  timeoutMs?: number;
}

export class Orb {
  private connections = new Map<string, GiopConnection>();

  constructor(private readonly opts: ConnectionOptions & { timeoutMs?: number } = {}) {}

  get defaultTimeoutMs(): number {
    return this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  connection(host: string, port: number): GiopConnection {
    const key = `${host}:${port}`;
    let c = this.connections.get(key);
    if (!c) {
      c = new GiopConnection(host, port, this.opts);
      this.connections.set(key, c);
    }
    return c;
  }

  /**
   * Calls `operation` on ref. `args` writes the in-parameters, `result` reads the reply body.
   * Errors: TangoDevFailed, TangoMultiDevFailed, CorbaSystemException, TangoTimeoutError,
   * TangoConnectionError, TangoProtocolError (undecodable reply).
   */
  async invoke<T>(
    ref: ObjectRef,
    operation: string,
    args: ((w: CdrWriter) => void) | undefined,
    result: (r: CdrReader) => T,
    opts: InvokeOptions = {},
  ): Promise<T> {
    let target = ref;
    for (let hops = 0; hops < 5; hops++) {
      const conn = this.connection(target.host, target.port);
      const reply = await conn.request(target.objectKey, target.giopMinor, operation, args, opts.timeoutMs ?? this.defaultTimeoutMs);
      const r = reply.reader;
      const what = `${operation} on ${keyToString(target.objectKey)}@${conn.endpoint}`;
      try {
        switch (reply.header.status) {
          case ReplyStatus.NO_EXCEPTION:
            return result(r);
          case ReplyStatus.USER_EXCEPTION:
            throw readUserException(r, operation);
          case ReplyStatus.SYSTEM_EXCEPTION: {
            const e = readSystemException(r);
            throw new CorbaSystemException(e.id, e.minor, e.completed, what);
          }
          case ReplyStatus.LOCATION_FORWARD:
          case ReplyStatus.LOCATION_FORWARD_PERM:
            target = iorToObjectRef(readIor(r));
            continue;
          default:
            throw new TangoProtocolError(`${what}: reply status ${ReplyStatus[reply.header.status]} is not supported`);
        }
      } catch (e) {
        if (e instanceof Error && (e.name === 'CdrError' || e instanceof RangeError)) throw new TangoProtocolError(`${what}: undecodable reply: ${e.message}`);
        throw e;
      }
    }
    throw new TangoProtocolError(`${operation}: too many LOCATION_FORWARD hops`);
  }

  async locate(ref: ObjectRef, opts: InvokeOptions = {}): Promise<LocateStatus> {
    return this.connection(ref.host, ref.port).locate(ref.objectKey, ref.giopMinor, opts.timeoutMs ?? this.defaultTimeoutMs);
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
    this.connections.clear();
  }
}

function readIor(r: CdrReader): Ior {
  const typeId = r.string();
  const n = r.count(8, 'IOR profiles');
  const profiles = [];
  for (let i = 0; i < n; i++) profiles.push({ tag: r.ulong(), data: r.octetSeq() });
  if (!profiles.some((p) => p.tag === TAG_INTERNET_IOP)) throw new TangoProtocolError('forwarded IOR has no IIOP profile');
  return { typeId, profiles };
}

/** Process-wide default ORB (connections are shared by all proxies that use it). */
let defaultOrb: Orb | undefined;
export function getDefaultOrb(): Orb {
  return (defaultOrb ??= new Orb());
}
