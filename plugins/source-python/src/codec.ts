/**
 * The binary channel to the Python worker (python/nxsw_python/codec.py is the other side):
 * frames of a little-endian u32 length and one tagged value. Arrays travel as element type,
 * shape and raw little-endian bytes, so 64-bit integers stay exact and nothing numeric is text.
 */
import { ELEMENT_TYPES, allocate, sizeOf } from '@nxsw/core';
import type { BigArray, ElementType, NumberArray, NxValue } from '@nxsw/core';

/** An array on the wire; `asList` asks the worker to hand it to scripts as Python lists. */
export interface WireArray {
  readonly array: NxValue;
  readonly asList: boolean;
}

export type WireValue = null | boolean | number | bigint | string | Uint8Array | WireArray | WireValue[] | { [key: string]: WireValue };

/** a JS number the channel sends as a Python float even when it is integral */
export class PyFloat {
  constructor(readonly value: number) {}
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export function isWireArray(v: unknown): v is WireArray {
  return typeof v === 'object' && v !== null && 'array' in v && 'asList' in v;
}

class Writer {
  private buf = Buffer.allocUnsafe(256);
  len = 4;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  byte(b: number): void {
    this.room(1);
    this.buf[this.len++] = b;
  }
  u32(n: number): void {
    this.room(4);
    this.buf.writeUInt32LE(n, this.len);
    this.len += 4;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  text(s: string): void {
    const n = Buffer.byteLength(s);
    this.u32(n);
    this.room(n);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
  }
  finish(): Buffer {
    this.buf.writeUInt32LE(this.len - 4, 0);
    return this.buf.subarray(0, this.len);
  }
}

function encodeInto(w: Writer, v: unknown): void {
  if (v === null || v === undefined) w.byte(0x4e); // N
  else if (v === true) w.byte(0x54); // T
  else if (v === false) w.byte(0x46); // F
  else if (typeof v === 'number' || typeof v === 'bigint' || v instanceof PyFloat) {
    if (typeof v === 'number' && Number.isInteger(v) && Number.isSafeInteger(v)) encodeInt(w, BigInt(v));
    else if (typeof v === 'bigint') encodeInt(w, v);
    else {
      w.byte(0x64); // d
      const b = Buffer.allocUnsafe(8);
      b.writeDoubleLE(typeof v === 'number' ? v : v.value);
      w.bytes(b);
    }
  } else if (typeof v === 'string') {
    w.byte(0x73); // s
    w.text(v);
  } else if (v instanceof Uint8Array) {
    w.byte(0x62); // b
    w.u32(v.length);
    w.bytes(v);
  } else if (isWireArray(v)) encodeArray(w, v);
  else if (Array.isArray(v)) {
    w.byte(0x6c); // l
    w.u32(v.length);
    for (const x of v) encodeInto(w, x);
  } else if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>);
    w.byte(0x6d); // m
    w.u32(entries.length);
    for (const [k, x] of entries) {
      w.text(k);
      encodeInto(w, x);
    }
  } else throw new TypeError(`cannot send a ${typeof v} to the Python worker`);
}

function encodeInt(w: Writer, v: bigint): void {
  if (v >= INT64_MIN && v <= INT64_MAX) {
    w.byte(0x69); // i
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64LE(v);
    w.bytes(b);
  } else {
    w.byte(0x49); // I
    w.text(v.toString());
  }
}

function encodeArray(w: Writer, { array, asList }: WireArray): void {
  w.byte(0x61); // a
  w.byte(ELEMENT_TYPES.indexOf(array.type));
  w.byte(asList ? 1 : 0);
  w.byte(array.shape.length);
  for (const d of array.shape) w.u32(d);
  if (array.type === 'string') {
    const data = array.data as string[];
    w.u32(data.length);
    for (const s of data) w.text(s);
  } else {
    const data = array.data as NumberArray | BigArray;
    // typed arrays are little-endian on every platform Node runs nxsw on
    const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    w.u32(raw.length);
    w.bytes(raw);
  }
}

/** one frame (length prefix included) holding one value */
export function encodeFrame(v: unknown): Buffer {
  const w = new Writer();
  encodeInto(w, v);
  return w.finish();
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u32(): number {
    const n = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return n;
  }
  text(): string {
    const n = this.u32();
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  value(): WireValue {
    const tag = this.buf[this.pos++];
    switch (tag) {
      case 0x4e: return null;
      case 0x54: return true;
      case 0x46: return false;
      case 0x69: {
        const v = this.buf.readBigInt64LE(this.pos);
        this.pos += 8;
        return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
      }
      case 0x49: return BigInt(this.text());
      case 0x64: {
        const v = this.buf.readDoubleLE(this.pos);
        this.pos += 8;
        return v;
      }
      case 0x73: return this.text();
      case 0x62: {
        const n = this.u32();
        const b = new Uint8Array(this.buf.subarray(this.pos, this.pos + n));
        this.pos += n;
        return b;
      }
      case 0x6c: {
        const n = this.u32();
        const out: WireValue[] = [];
        for (let i = 0; i < n; i++) out.push(this.value());
        return out;
      }
      case 0x6d: {
        const n = this.u32();
        const out: Record<string, WireValue> = {};
        for (let i = 0; i < n; i++) {
          const k = this.text();
          out[k] = this.value();
        }
        return out;
      }
      case 0x61: return this.array();
      default: throw new Error(`the Python worker sent an unknown tag ${tag} at byte ${this.pos - 1}`);
    }
  }
  private array(): WireArray {
    const type = ELEMENT_TYPES[this.buf[this.pos]!] as ElementType;
    const asList = this.buf[this.pos + 1] === 1;
    const ndim = this.buf[this.pos + 2]!;
    this.pos += 3;
    const shape: number[] = [];
    for (let i = 0; i < ndim; i++) shape.push(this.u32());
    const n = this.u32();
    if (type === 'string') {
      const data: string[] = [];
      for (let i = 0; i < n; i++) data.push(this.text());
      return { array: { type, shape, data }, asList };
    }
    const data = allocate(type, sizeOf(shape)) as NumberArray | BigArray;
    if (data.byteLength !== n) throw new Error(`the Python worker sent ${n} bytes for a ${type} array of shape [${shape.join(',')}]`);
    new Uint8Array(data.buffer).set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return { array: { type, shape, data }, asList };
  }
}

export function decodeValue(body: Buffer): WireValue {
  return new Reader(body).value();
}

/**
 * Splits a byte stream into frame bodies. A frame's chunks are joined once, when its last byte has
 * come: joining them at every chunk copied a 1 MiB reply (16 pipe reads) 16 times over, and that
 * garbage made Node collect its old generation about once per value.
 */
export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** the body length of the frame being received, once its 4-byte header is in; else -1 */
  private need = -1;

  push(chunk: Buffer, onFrame: (body: Buffer) => void): void {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    for (;;) {
      if (this.need < 0) {
        if (this.pendingLength < 4) return;
        if (this.pending[0]!.length < 4) this.pending = [Buffer.concat(this.pending)];
        this.need = this.pending[0]!.readUInt32LE(0);
      }
      if (this.pendingLength < 4 + this.need) return;
      const buf = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
      const n = this.need;
      const rest = buf.subarray(4 + n);
      this.need = -1;
      this.pending = rest.length ? [rest] : [];
      this.pendingLength = rest.length;
      onFrame(buf.subarray(4, 4 + n));
    }
  }
}
