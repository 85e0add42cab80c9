/**
 * GIOP 1.0/1.1/1.2 messages: the 12-byte header, Request/Reply/Locate headers, and the stream
 * splitter that cuts a TCP byte stream into whole messages and reassembles fragments.
 */
import { CdrError, CdrReader, CdrWriter, type StringCodec } from './cdr.js';

export const GIOP_HEADER_SIZE = 12;
/** omniORB's default giopMaxMsgSize; larger messages are refused rather than buffered. */
export const DEFAULT_MAX_MESSAGE_SIZE = 256 * 1024 * 1024;

export enum MsgType {
  Request = 0, Reply = 1, CancelRequest = 2, LocateRequest = 3, LocateReply = 4, CloseConnection = 5, MessageError = 6, Fragment = 7,
}

export enum ReplyStatus {
  NO_EXCEPTION = 0, USER_EXCEPTION = 1, SYSTEM_EXCEPTION = 2, LOCATION_FORWARD = 3, LOCATION_FORWARD_PERM = 4, NEEDS_ADDRESSING_MODE = 5,
}

export enum LocateStatus {
  UNKNOWN_OBJECT = 0, OBJECT_HERE = 1, OBJECT_FORWARD = 2, OBJECT_FORWARD_PERM = 3, LOC_SYSTEM_EXCEPTION = 4, LOC_NEEDS_ADDRESSING_MODE = 5,
}

export enum CompletionStatus { YES = 0, NO = 1, MAYBE = 2 }

/** Service context ids that matter here. */
export const SERVICE_CONTEXT_CODE_SETS = 1;

export interface GiopHeader {
  minor: number;
  littleEndian: boolean;
  moreFragments: boolean;
  type: MsgType;
  /** size of the message after the 12-byte header */
  size: number;
}

export class GiopError extends Error {
  override readonly name = 'GiopError';
}

export function parseHeader(b: Uint8Array): GiopHeader {
  if (b.length < GIOP_HEADER_SIZE) throw new GiopError(`GIOP header needs 12 bytes, got ${b.length}`);
  if (b[0] !== 0x47 || b[1] !== 0x49 || b[2] !== 0x4f || b[3] !== 0x50) {
    throw new GiopError(`not a GIOP message: magic is ${Array.from(b.subarray(0, 4), (x) => x.toString(16).padStart(2, '0')).join('')} (expected 47494f50 "GIOP")`);
  }
  if (b[4] !== 1 || b[5] > 2) throw new GiopError(`unsupported GIOP version ${b[4]}.${b[5]} (supported: 1.0, 1.1, 1.2)`);
  const minor = b[5];
  const flags = b[6];
  const type = b[7];
  if (type > 7 || (type === MsgType.Fragment && minor === 0)) throw new GiopError(`invalid GIOP ${1}.${minor} message type ${type}`);
  const littleEndian = (flags & 1) === 1;
  const size = new DataView(b.buffer, b.byteOffset + 8, 4).getUint32(0, littleEndian);
  return { minor, littleEndian, moreFragments: minor > 0 && (flags & 2) === 2, type, size };
}

/** Starts a message: the header with a size to be patched by finishMessage. */
export function beginMessage(minor: number, type: MsgType, littleEndian = true, moreFragments = false, codec: StringCodec = 'latin1'): CdrWriter {
  const w = new CdrWriter(littleEndian, 0, codec);
  w.octet(0x47).octet(0x49).octet(0x4f).octet(0x50).octet(1).octet(minor);
  w.octet((littleEndian ? 1 : 0) | (moreFragments && minor > 0 ? 2 : 0)).octet(type);
  w.ulong(0);
  return w;
}

export function finishMessage(w: CdrWriter): Uint8Array {
  w.patchUlong(8, w.pos - GIOP_HEADER_SIZE);
  return w.bytes();
}

/** GIOP 1.2 aligns a request/reply body to 8, but only when a body follows. */
export function writeBody(w: CdrWriter, minor: number, body?: (w: CdrWriter) => void): void {
  if (!body) return;
  const before = w.pos;
  if (minor >= 2) w.align(8);
  const aligned = w.pos;
  body(w);
  if (w.pos === aligned) w.pos = before;
}

export interface ServiceContext { id: number; data: Uint8Array }

export function readServiceContexts(r: CdrReader): ServiceContext[] {
  const n = r.count(8, 'service context list');
  const out: ServiceContext[] = [];
  for (let i = 0; i < n; i++) out.push({ id: r.ulong(), data: r.octetSeq() });
  return out;
}

export function writeServiceContexts(w: CdrWriter, list: readonly ServiceContext[]): void {
  w.ulong(list.length);
  for (const c of list) { w.ulong(c.id); w.octetSeq(c.data); }
}

/** The CodeSets context omniORB sends: char ISO-8859-1, wchar UTF-16. */
export function codeSetsContext(): ServiceContext {
  const w = new CdrWriter(true, 0);
  w.octet(1).ulong(0x00010001).ulong(0x00010109);
  return { id: SERVICE_CONTEXT_CODE_SETS, data: w.bytes().slice() };
}

/** GIOP 1.2 TargetAddress; only KeyAddr is understood, the others are kept for a NEEDS_ADDRESSING_MODE answer. */
export type TargetAddress = { kind: 'key'; objectKey: Uint8Array } | { kind: 'profile' | 'reference'; raw: number };

export interface RequestHeader {
  requestId: number;
  responseExpected: boolean;
  objectKey: Uint8Array;
  /** set for GIOP 1.2 requests addressed by profile or reference (objectKey is then empty) */
  target?: TargetAddress;
  operation: string;
  serviceContexts: ServiceContext[];
}

export function writeRequest(
  minor: number,
  h: { requestId: number; responseExpected: boolean; objectKey: Uint8Array; operation: string; serviceContexts?: ServiceContext[] },
  body?: (w: CdrWriter) => void,
  littleEndian = true,
): Uint8Array {
  const w = beginMessage(minor, MsgType.Request, littleEndian);
  const sc = h.serviceContexts ?? [];
  if (minor <= 1) {
    writeServiceContexts(w, sc);
    w.ulong(h.requestId);
    w.boolean(h.responseExpected);
    if (minor === 1) w.octet(0).octet(0).octet(0);
    w.octetSeq(h.objectKey);
    w.string(h.operation);
    w.ulong(0); // requesting_principal: empty
  } else {
    w.ulong(h.requestId);
    w.octet(h.responseExpected ? 3 : 0).octet(0).octet(0).octet(0);
    w.short(0); // KeyAddr
    w.octetSeq(h.objectKey);
    w.string(h.operation);
    writeServiceContexts(w, sc);
  }
  writeBody(w, minor, body);
  return finishMessage(w);
}

/** Reads a Request header; r must be positioned at offset 12. Leaves r at the (aligned) body. */
export function readRequestHeader(r: CdrReader, minor: number): RequestHeader {
  if (minor <= 1) {
    const serviceContexts = readServiceContexts(r);
    const requestId = r.ulong();
    const responseExpected = r.boolean();
    if (minor === 1) r.raw(3);
    const objectKey = r.octetSeq();
    const operation = r.string();
    r.octetSeq(); // requesting_principal, unused
    return { requestId, responseExpected, objectKey, operation, serviceContexts };
  }
  const requestId = r.ulong();
  const flags = r.octet();
  r.raw(3);
  const disc = r.short();
  let objectKey: Uint8Array = new Uint8Array(0);
  let target: TargetAddress;
  if (disc === 0) {
    objectKey = r.octetSeq();
    target = { kind: 'key', objectKey };
  } else if (disc === 1) {
    r.ulong(); // profile tag
    r.octetSeq();
    target = { kind: 'profile', raw: disc };
  } else if (disc === 2) {
    r.ulong(); // selected profile index
    readIorStruct(r);
    target = { kind: 'reference', raw: disc };
  } else {
    throw new CdrError(`invalid TargetAddress discriminator ${disc}`);
  }
  const operation = r.string();
  const serviceContexts = readServiceContexts(r);
  if (r.remaining > 0) r.align(8);
  return { requestId, responseExpected: (flags & 3) !== 0, objectKey, target, operation, serviceContexts };
}

function readIorStruct(r: CdrReader): void {
  r.string();
  const n = r.count(8, 'IOR profiles');
  for (let i = 0; i < n; i++) { r.ulong(); r.octetSeq(); }
}

export interface ReplyHeader { requestId: number; status: ReplyStatus; serviceContexts: ServiceContext[] }

export function writeReply(
  minor: number,
  h: { requestId: number; status: ReplyStatus; serviceContexts?: ServiceContext[] },
  body?: (w: CdrWriter) => void,
  littleEndian = true,
  codec: StringCodec = 'latin1',
): Uint8Array {
  const w = beginMessage(minor, MsgType.Reply, littleEndian, false, codec);
  if (minor <= 1) {
    writeServiceContexts(w, h.serviceContexts ?? []);
    w.ulong(h.requestId);
    w.ulong(h.status);
  } else {
    w.ulong(h.requestId);
    w.ulong(h.status);
    writeServiceContexts(w, h.serviceContexts ?? []);
  }
  writeBody(w, minor, body);
  return finishMessage(w);
}

export function readReplyHeader(r: CdrReader, minor: number): ReplyHeader {
  let requestId: number, status: number, serviceContexts: ServiceContext[];
  if (minor <= 1) {
    serviceContexts = readServiceContexts(r);
    requestId = r.ulong();
    status = r.ulong();
  } else {
    requestId = r.ulong();
    status = r.ulong();
    serviceContexts = readServiceContexts(r);
    if (r.remaining > 0) r.align(8);
  }
  if (status > 5) throw new CdrError(`invalid reply status ${status}`);
  return { requestId, status, serviceContexts };
}

export interface SystemExceptionBody { id: string; minor: number; completed: CompletionStatus }

export function readSystemException(r: CdrReader): SystemExceptionBody {
  return { id: r.string(), minor: r.ulong(), completed: r.ulong() };
}

export function writeSystemException(w: CdrWriter, e: SystemExceptionBody): void {
  w.string(e.id).ulong(e.minor).ulong(e.completed);
}

export function writeLocateRequest(minor: number, requestId: number, objectKey: Uint8Array): Uint8Array {
  const w = beginMessage(minor, MsgType.LocateRequest);
  w.ulong(requestId);
  if (minor >= 2) w.short(0);
  w.octetSeq(objectKey);
  return finishMessage(w);
}

export function readLocateRequest(r: CdrReader, minor: number): { requestId: number; objectKey: Uint8Array; target?: TargetAddress } {
  const requestId = r.ulong();
  if (minor < 2) return { requestId, objectKey: r.octetSeq() };
  const disc = r.short();
  if (disc === 0) {
    const objectKey = r.octetSeq();
    return { requestId, objectKey, target: { kind: 'key', objectKey } };
  }
  return { requestId, objectKey: new Uint8Array(0), target: { kind: disc === 1 ? 'profile' : 'reference', raw: disc } };
}

/** A LocateReply; body: e.g. the AddressingDisposition of LOC_NEEDS_ADDRESSING_MODE (GIOP 1.2 aligns it to 8). */
export function writeLocateReply(minor: number, requestId: number, status: LocateStatus, body?: (w: CdrWriter) => void, littleEndian = true): Uint8Array {
  const w = beginMessage(minor, MsgType.LocateReply, littleEndian);
  w.ulong(requestId).ulong(status);
  writeBody(w, minor, body);
  return finishMessage(w);
}

export function readLocateReply(r: CdrReader): { requestId: number; status: LocateStatus } {
  return { requestId: r.ulong(), status: r.ulong() };
}

export function writeCloseConnection(minor: number): Uint8Array {
  return finishMessage(beginMessage(minor, MsgType.CloseConnection));
}

export function writeMessageError(minor: number): Uint8Array {
  return finishMessage(beginMessage(minor, MsgType.MessageError));
}

/** One whole message (fragments already joined): header fields plus a reader positioned after the header. */
export interface GiopMessage {
  header: GiopHeader;
  bytes: Uint8Array;
  reader(): CdrReader;
}

function toMessage(bytes: Uint8Array, header: GiopHeader): GiopMessage {
  return {
    header,
    bytes,
    reader: () => new CdrReader(bytes, GIOP_HEADER_SIZE, header.littleEndian, 0, bytes.length),
  };
}

/** Wraps one complete message buffer (tests, captures). */
export function decodeMessage(bytes: Uint8Array): GiopMessage {
  const h = parseHeader(bytes);
  if (bytes.length !== GIOP_HEADER_SIZE + h.size) throw new GiopError(`message has ${bytes.length} bytes, header says ${GIOP_HEADER_SIZE + h.size}`);
  return toMessage(bytes, h);
}

interface Partial { first: GiopHeader; parts: Uint8Array[]; size: number }

/**
 * Cuts a byte stream into GIOP messages. Fragmented messages are returned once complete, joined
 * into a single message (its size patched, its more-fragments flag cleared). A fragment's payload
 * continues the first message's CDR stream: GIOP 1.2 makes every non-final fragment a multiple
 * of 8 bytes, so alignment is preserved by plain concatenation.
 */
export class GiopStreamParser {
  private chunks: Uint8Array[] = [];
  private buffered = 0;
  /** GIOP 1.2: partial messages by request id; GIOP 1.1: the single partial message under key -1 */
  private partial = new Map<number, Partial>();
  /** bytes held by the partial messages together */
  private partialBytes = 0;

  /**
   * @param maxMessageSize  largest message (fragments joined)
   * @param maxHeldBytes    largest number of bytes held at once: an incomplete message plus every
   *                        partial fragmented one (default: maxMessageSize), so that many
   *                        half-sent messages cannot add up
   */
  constructor(private readonly maxMessageSize = DEFAULT_MAX_MESSAGE_SIZE, private readonly maxHeldBytes = maxMessageSize) {}

  /** the bytes held now (incomplete and partial fragmented messages) */
  get heldBytes(): number {
    return this.buffered + this.partialBytes;
  }

  /** Feeds bytes; returns the complete messages. Throws GiopError on a corrupt stream (the connection must then be dropped). */
  push(chunk: Uint8Array): GiopMessage[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: GiopMessage[] = [];
    while (this.buffered >= GIOP_HEADER_SIZE) {
      const head = this.peek(GIOP_HEADER_SIZE);
      const h = parseHeader(head);
      if (h.size > this.maxMessageSize) throw new GiopError(`GIOP message of ${h.size} bytes exceeds the limit of ${this.maxMessageSize}`);
      const total = GIOP_HEADER_SIZE + h.size;
      if (this.buffered < total) break;
      const bytes = this.take(total);
      const m = this.assemble(bytes, h);
      if (m) out.push(m);
    }
    if (this.heldBytes > this.maxHeldBytes) {
      throw new GiopError(`the connection holds ${this.heldBytes} bytes of incomplete messages (${this.partial.size} fragmented), more than its limit of ${this.maxHeldBytes}`);
    }
    return out;
  }

  private peek(n: number): Uint8Array {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n);
    const b = new Uint8Array(n);
    let off = 0;
    for (const c of this.chunks) {
      const k = Math.min(c.length, n - off);
      b.set(c.subarray(0, k), off);
      off += k;
      if (off === n) break;
    }
    return b;
  }

  private take(n: number): Uint8Array {
    const first = this.chunks[0];
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = new Uint8Array(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0];
        const k = Math.min(c.length, n - off);
        out.set(c.subarray(0, k), off);
        off += k;
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
      }
    }
    this.buffered -= n;
    return out;
  }

  private assemble(bytes: Uint8Array, h: GiopHeader): GiopMessage | undefined {
    if (h.type !== MsgType.Fragment) {
      if (!h.moreFragments) return toMessage(bytes, h);
      const key = h.minor >= 2 ? this.requestIdOf(bytes, h) : -1;
      // a second first fragment under the same request id replaces the first
      this.partialBytes += bytes.length - (this.partial.get(key)?.size ?? 0);
      this.partial.set(key, { first: h, parts: [bytes], size: bytes.length });
      return undefined;
    }
    // a Fragment: GIOP 1.2 names its request, 1.1 continues the last fragmented message
    let key = -1;
    let payloadStart = GIOP_HEADER_SIZE;
    if (h.minor >= 2) {
      if (h.size < 4) throw new GiopError('GIOP 1.2 Fragment without a request id');
      key = new DataView(bytes.buffer, bytes.byteOffset + 12, 4).getUint32(0, h.littleEndian);
      payloadStart = 16;
    }
    const p = this.partial.get(key);
    if (!p) throw new GiopError(`Fragment for request ${key} without a preceding fragmented message`);
    p.parts.push(bytes.subarray(payloadStart));
    p.size += bytes.length - payloadStart;
    this.partialBytes += bytes.length - payloadStart;
    if (p.size > this.maxMessageSize) throw new GiopError(`fragmented GIOP message exceeds the limit of ${this.maxMessageSize} bytes`);
    if (h.moreFragments) return undefined;
    this.partial.delete(key);
    this.partialBytes -= p.size;
    const joined = new Uint8Array(p.size);
    let off = 0;
    for (const part of p.parts) { joined.set(part, off); off += part.length; }
    joined[6] &= ~2;
    new DataView(joined.buffer).setUint32(8, p.size - GIOP_HEADER_SIZE, p.first.littleEndian);
    return toMessage(joined, { ...p.first, moreFragments: false, size: p.size - GIOP_HEADER_SIZE });
  }

  private requestIdOf(bytes: Uint8Array, h: GiopHeader): number {
    if (bytes.length < 16) throw new GiopError('fragmented GIOP 1.2 message too short to hold a request id');
    return new DataView(bytes.buffer, bytes.byteOffset + 12, 4).getUint32(0, h.littleEndian);
  }
}

/**
 * Splits one encoded message into GIOP 1.2 fragments of at most maxSize bytes each (for senders
 * that must limit message size). Non-final fragment bodies are multiples of 8.
 */
export function fragmentMessage(msg: Uint8Array, maxSize: number): Uint8Array[] {
  const h = parseHeader(msg);
  if (h.minor < 2) throw new GiopError('fragmentMessage supports GIOP 1.2 only');
  if (msg.length <= maxSize) return [msg];
  const firstLen = Math.max(16, Math.floor(maxSize / 8) * 8);
  const out: Uint8Array[] = [];
  const first = msg.slice(0, firstLen);
  first[6] |= 2;
  new DataView(first.buffer).setUint32(8, firstLen - GIOP_HEADER_SIZE, h.littleEndian);
  out.push(first);
  const requestId = new DataView(msg.buffer, msg.byteOffset + 12, 4).getUint32(0, h.littleEndian);
  const chunk = Math.max(8, Math.floor((maxSize - 16) / 8) * 8);
  for (let off = firstLen; off < msg.length; off += chunk) {
    const part = msg.subarray(off, Math.min(msg.length, off + chunk));
    const last = off + chunk >= msg.length;
    const w = beginMessage(2, MsgType.Fragment, h.littleEndian, !last);
    w.ulong(requestId);
    w.raw(part);
    out.push(finishMessage(w).slice());
  }
  return out;
}
