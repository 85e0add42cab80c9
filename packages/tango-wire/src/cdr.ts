/**
 * CORBA CDR (Common Data Representation) encoding and decoding, both byte orders.
 * Alignment is counted from a base offset: the start of the GIOP message (offset 0 = 'G') or the
 * byte-order octet of an encapsulation.
 */

/** Malformed or truncated CDR data (the CORBA MARSHAL condition). */
export class CdrError extends Error {
  override readonly name = 'CdrError';
}

/**
 * How strings are encoded. Tango's string encoding is ISO-8859-1: 'latin1' refuses other
 * characters (a CdrError), 'latin1-transliterated' replaces them (what a server sends, so that a
 * message with an em dash reaches the client instead of a MARSHAL exception).
 */
export type StringCodec = 'latin1' | 'latin1-transliterated' | 'utf8';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class CdrReader {
  pos: number;
  private readonly view: DataView;

  /**
   * @param buf   the bytes (a whole GIOP message, or any buffer holding an encapsulation)
   * @param pos   first byte to read
   * @param littleEndian byte order of the data
   * @param base  offset alignment is counted from
   * @param end   one past the last readable byte
   */
  constructor(
    readonly buf: Uint8Array,
    pos = 0,
    public littleEndian = true,
    readonly base = 0,
    readonly end = buf.length,
    readonly codec: StringCodec = 'latin1',
  ) {
    if (end > buf.length || pos > end) throw new CdrError(`reader window ${pos}..${end} outside a buffer of ${buf.length} bytes`);
    this.pos = pos;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  align(n: number): void {
    const r = (this.pos - this.base) % n;
    if (r !== 0) this.pos += n - r;
    if (this.pos > this.end) throw new CdrError(`truncated data: alignment to ${n} passes the end (${this.end})`);
  }

  private need(n: number, what: string): void {
    if (this.pos + n > this.end) throw new CdrError(`truncated data reading ${what}: need ${n} bytes at offset ${this.pos}, only ${this.end - this.pos} left`);
  }

  octet(): number {
    this.need(1, 'octet');
    return this.buf[this.pos++];
  }
  boolean(): boolean {
    return this.octet() !== 0;
  }
  char(): string {
    return String.fromCharCode(this.octet());
  }
  short(): number {
    this.align(2);
    this.need(2, 'short');
    const v = this.view.getInt16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }
  ushort(): number {
    this.align(2);
    this.need(2, 'unsigned short');
    const v = this.view.getUint16(this.pos, this.littleEndian);
    this.pos += 2;
    return v;
  }
  long(): number {
    this.align(4);
    this.need(4, 'long');
    const v = this.view.getInt32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  ulong(): number {
    this.align(4);
    this.need(4, 'unsigned long');
    const v = this.view.getUint32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  longlong(): bigint {
    this.align(8);
    this.need(8, 'long long');
    const v = this.view.getBigInt64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }
  ulonglong(): bigint {
    this.align(8);
    this.need(8, 'unsigned long long');
    const v = this.view.getBigUint64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }
  float(): number {
    this.align(4);
    this.need(4, 'float');
    const v = this.view.getFloat32(this.pos, this.littleEndian);
    this.pos += 4;
    return v;
  }
  double(): number {
    this.align(8);
    this.need(8, 'double');
    const v = this.view.getFloat64(this.pos, this.littleEndian);
    this.pos += 8;
    return v;
  }

  /** A sequence/string length, checked against the bytes left so a corrupt count cannot allocate gigabytes. */
  count(elementSize: number, what: string): number {
    const n = this.ulong();
    if (n * elementSize > this.end - this.pos) throw new CdrError(`${what}: length ${n} exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  string(): string {
    const n = this.count(1, 'string');
    if (n === 0) throw new CdrError(`string at offset ${this.pos - 4} has length 0 (must include the terminating NUL)`);
    const start = this.pos;
    this.pos += n;
    // the NUL is not checked strictly: some ORBs are sloppy, and a missing NUL does not hurt decoding
    const bytes = this.buf.subarray(start, start + n - (this.buf[start + n - 1] === 0 ? 1 : 0));
    return this.codec === 'utf8' ? utf8Decoder.decode(bytes) : decodeLatin1(bytes);
  }

  /** n raw bytes (a view into the buffer, not a copy). */
  raw(n: number): Uint8Array {
    this.need(n, 'octets');
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** sequence<octet>, copied so it outlives the message buffer. */
  octetSeq(): Uint8Array {
    const n = this.count(1, 'sequence<octet>');
    return this.raw(n).slice();
  }

  stringSeq(): string[] {
    const n = this.count(5, 'sequence<string>');
    const out = new Array<string>(n);
    for (let i = 0; i < n; i++) out[i] = this.string();
    return out;
  }

  /** Reads sequence<octet> holding an encapsulation and returns a reader positioned after its byte-order octet. */
  encapsulation(): CdrReader {
    const n = this.count(1, 'encapsulation');
    if (n === 0) throw new CdrError(`empty encapsulation at offset ${this.pos - 4}`);
    const start = this.pos;
    this.pos += n;
    return new CdrReader(this.buf, start + 1, (this.buf[start] & 1) === 1, start, start + n, this.codec);
  }

  /** Typed arrays of n elements; the bytes are copied (fast path when the byte order matches the host). */
  int16Array(n: number): Int16Array {
    return this.numArray(n, 2, Int16Array, (o) => this.view.getInt16(o, this.littleEndian));
  }
  uint16Array(n: number): Uint16Array {
    return this.numArray(n, 2, Uint16Array, (o) => this.view.getUint16(o, this.littleEndian));
  }
  int32Array(n: number): Int32Array {
    return this.numArray(n, 4, Int32Array, (o) => this.view.getInt32(o, this.littleEndian));
  }
  uint32Array(n: number): Uint32Array {
    return this.numArray(n, 4, Uint32Array, (o) => this.view.getUint32(o, this.littleEndian));
  }
  float32Array(n: number): Float32Array {
    return this.numArray(n, 4, Float32Array, (o) => this.view.getFloat32(o, this.littleEndian));
  }
  float64Array(n: number): Float64Array {
    return this.numArray(n, 8, Float64Array, (o) => this.view.getFloat64(o, this.littleEndian));
  }
  bigInt64Array(n: number): BigInt64Array {
    return this.numArray(n, 8, BigInt64Array, (o) => this.view.getBigInt64(o, this.littleEndian));
  }
  bigUint64Array(n: number): BigUint64Array {
    return this.numArray(n, 8, BigUint64Array, (o) => this.view.getBigUint64(o, this.littleEndian));
  }

  private numArray<T extends { [i: number]: V }, V>(
    n: number,
    size: number,
    Ctor: { new (buf: ArrayBuffer): T; new (n: number): T },
    get: (offset: number) => V,
  ): T {
    if (n > 0) this.align(size);
    this.need(n * size, `array of ${n} ${size}-byte elements`);
    let out: T;
    if (this.littleEndian === HOST_LE) {
      const copy = this.buf.slice(this.pos, this.pos + n * size);
      out = new Ctor(copy.buffer);
    } else {
      out = new Ctor(n);
      for (let i = 0; i < n; i++) out[i] = get(this.pos + i * size);
    }
    this.pos += n * size;
    return out;
  }
}

/** Bytes as latin-1 text (each byte one code unit), e.g. an object key; TextDecoder('latin1') is windows-1252. */
export function decodeLatin1(bytes: Uint8Array): string {
  // Node's 'latin1' is ISO-8859-1 byte for byte, and decodes in native code: a 24 MB XMLSettings
  // takes ~15 ms instead of ~110 ms through String.fromCharCode chunks, which held the event loop
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

export class CdrWriter {
  private buf: Uint8Array;
  private view: DataView;
  pos = 0;

  constructor(
    readonly littleEndian = true,
    /** offset alignment is counted from (0 for a GIOP message or an encapsulation) */
    readonly base = 0,
    readonly codec: StringCodec = 'latin1',
    initialSize = 256,
  ) {
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }

  align(n: number): void {
    const r = (this.pos - this.base) % n;
    if (r === 0) return;
    const pad = n - r;
    this.ensure(pad);
    this.buf.fill(0, this.pos, this.pos + pad);
    this.pos += pad;
  }

  octet(v: number): this {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
    return this;
  }
  boolean(v: boolean): this {
    return this.octet(v ? 1 : 0);
  }
  short(v: number): this {
    this.align(2);
    this.ensure(2);
    this.view.setInt16(this.pos, v, this.littleEndian);
    this.pos += 2;
    return this;
  }
  ushort(v: number): this {
    this.align(2);
    this.ensure(2);
    this.view.setUint16(this.pos, v, this.littleEndian);
    this.pos += 2;
    return this;
  }
  long(v: number): this {
    this.align(4);
    this.ensure(4);
    this.view.setInt32(this.pos, v, this.littleEndian);
    this.pos += 4;
    return this;
  }
  ulong(v: number): this {
    this.align(4);
    this.ensure(4);
    this.view.setUint32(this.pos, v, this.littleEndian);
    this.pos += 4;
    return this;
  }
  longlong(v: bigint | number): this {
    this.align(8);
    this.ensure(8);
    this.view.setBigInt64(this.pos, BigInt(v), this.littleEndian);
    this.pos += 8;
    return this;
  }
  ulonglong(v: bigint | number): this {
    this.align(8);
    this.ensure(8);
    this.view.setBigUint64(this.pos, BigInt(v), this.littleEndian);
    this.pos += 8;
    return this;
  }
  float(v: number): this {
    this.align(4);
    this.ensure(4);
    this.view.setFloat32(this.pos, v, this.littleEndian);
    this.pos += 4;
    return this;
  }
  double(v: number): this {
    this.align(8);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, this.littleEndian);
    this.pos += 8;
    return this;
  }

  string(s: string): this {
    const bytes = encodeString(s, this.codec);
    this.ulong(bytes.length + 1);
    this.raw(bytes);
    return this.octet(0);
  }

  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  octetSeq(bytes: Uint8Array): this {
    this.ulong(bytes.length);
    return this.raw(bytes);
  }

  stringSeq(items: readonly string[]): this {
    this.ulong(items.length);
    for (const s of items) this.string(s);
    return this;
  }

  /** Writes an encapsulation (sequence<octet>: byte-order octet + content aligned from that octet). */
  encapsulation(fill: (w: CdrWriter) => void, littleEndian = this.littleEndian): this {
    const w = new CdrWriter(littleEndian, 0, this.codec, 64);
    w.octet(littleEndian ? 1 : 0);
    fill(w);
    return this.octetSeq(w.bytes());
  }

  /** Numeric sequences' payload (no count): each element aligned, in this writer's byte order. */
  numbers(kind: 'short' | 'ushort' | 'long' | 'ulong' | 'float' | 'double', values: ArrayLike<number>): this {
    const size = kind === 'double' ? 8 : kind === 'short' || kind === 'ushort' ? 2 : 4;
    if (values.length === 0) return this;
    this.align(size);
    this.ensure(size * values.length);
    const le = this.littleEndian;
    const v = this.view;
    let p = this.pos;
    for (let i = 0; i < values.length; i++, p += size) {
      const x = values[i];
      switch (kind) {
        case 'short': v.setInt16(p, x, le); break;
        case 'ushort': v.setUint16(p, x, le); break;
        case 'long': v.setInt32(p, x, le); break;
        case 'ulong': v.setUint32(p, x, le); break;
        case 'float': v.setFloat32(p, x, le); break;
        case 'double': v.setFloat64(p, x, le); break;
      }
    }
    this.pos = p;
    return this;
  }

  bigints(kind: 'longlong' | 'ulonglong', values: ArrayLike<bigint>): this {
    for (let i = 0; i < values.length; i++) {
      if (kind === 'longlong') this.longlong(values[i]);
      else this.ulonglong(values[i]);
    }
    return this;
  }

  /** Overwrites an unsigned long at an absolute offset (used for sizes known only at the end). */
  patchUlong(offset: number, v: number): void {
    this.view.setUint32(offset, v, this.littleEndian);
  }

  /** The bytes written so far (a copy-free view). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function encodeString(s: string, codec: StringCodec): Uint8Array {
  if (codec === 'utf8') return utf8Encoder.encode(s);
  if (codec === 'latin1-transliterated') s = transliterateLatin1(s);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new CdrError(`string ${JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s)} has a character (U+${c.toString(16).padStart(4, '0')}) outside ISO-8859-1, the Tango string encoding`);
    out[i] = c;
  }
  return out;
}

/** ASCII spellings of the non-Latin-1 characters messages use; any other becomes '?'. */
const TRANSLITERATIONS: Readonly<Record<string, string>> = {
  '\u2010': '-', '\u2011': '-', '\u2012': '-', '\u2013': '-', '\u2014': '-', '\u2015': '-', '\u2212': '-',
  '\u2018': "'", '\u2019': "'", '\u201a': ',', '\u201c': '"', '\u201d': '"', '\u201e': '"', '\u2026': '...', '\u2022': '*',
  '\u2190': '<-', '\u2192': '->', '\u2194': '<->', '\u21d0': '<=', '\u21d2': '=>',
  '\u2264': '<=', '\u2265': '>=', '\u2260': '!=', '\u2248': '~', '\u221e': 'inf', '\u2009': ' ', '\u202f': ' ',
};

/** The string with every character outside ISO-8859-1 spelled in ASCII or replaced by '?'. */
export function transliterateLatin1(s: string): string {
  // one test for the common case: nothing to replace
  if (!/[\u0100-\uffff]/.test(s)) return s;
  // by code point: a surrogate pair (an emoji) is one '?'
  return s.replace(/[\u0100-\u{10ffff}]/gu, (c) => TRANSLITERATIONS[c] ?? '?');
}
