/**
 * Rewrites messages of a dataset's version-2 object header in a closed HDF5 file.
 *
 * h5wasm 0.10.3 cannot create enum datatypes (h5py's bool is an enum over int8 {FALSE, TRUE})
 * and sets at most one filter per dataset. The sink creates such datasets with a placeholder
 * (an int8 type, the first filter), and once the file is closed this module replaces the
 * datatype / filter-pipeline message with the real one, re-packing the header's free (NULL)
 * messages and recomputing the chunk checksum. Layout follows the HDF5 file format
 * specification, version 2 object headers (files written with libver >= v110).
 */
import { openSync, readSync, writeSync, closeSync, fstatSync } from 'node:fs';
import { NxswError } from '@nxsw/core';

export const MSG_NULL = 0x00;
export const MSG_DATATYPE = 0x03;
export const MSG_PIPELINE = 0x0b;
const MSG_CONTINUATION = 0x10;
const MSG_ATTRIBUTE = 0x0c;
const MSG_ATTRIBUTE_INFO = 0x15;

/** Bob Jenkins' lookup3 hashlittle(), the checksum of HDF5 metadata (initval 0). */
export function lookup3(k: Uint8Array, initval = 0): number {
  let length = k.length;
  let a = (0xdeadbeef + length + initval) >>> 0;
  let b = a;
  let c = a;
  const rot = (x: number, s: number): number => ((x << s) | (x >>> (32 - s))) >>> 0;
  let o = 0;
  while (length > 12) {
    a = (a + (k[o]! | (k[o + 1]! << 8) | (k[o + 2]! << 16) | (k[o + 3]! << 24))) >>> 0;
    b = (b + (k[o + 4]! | (k[o + 5]! << 8) | (k[o + 6]! << 16) | (k[o + 7]! << 24))) >>> 0;
    c = (c + (k[o + 8]! | (k[o + 9]! << 8) | (k[o + 10]! << 16) | (k[o + 11]! << 24))) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = (a - c) >>> 0; a = (a ^ rot(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = (b - a) >>> 0; b = (b ^ rot(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = (c - b) >>> 0; c = (c ^ rot(b, 4)) >>> 0; b = (b + a) >>> 0;
    length -= 12;
    o += 12;
  }
  if (length === 0) return c;
  // the tail: bytes are summed into a, b, c little-endian; missing bytes count as 0
  const t = new Uint8Array(12);
  t.set(k.subarray(o, o + length));
  a = (a + (t[0]! | (t[1]! << 8) | (t[2]! << 16) | (t[3]! << 24))) >>> 0;
  b = (b + (t[4]! | (t[5]! << 8) | (t[6]! << 16) | (t[7]! << 24))) >>> 0;
  c = (c + (t[8]! | (t[9]! << 8) | (t[10]! << 16) | (t[11]! << 24))) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 14)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 11)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 25)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 16)) >>> 0;
  a = (a ^ c) >>> 0; a = (a - rot(c, 4)) >>> 0;
  b = (b ^ a) >>> 0; b = (b - rot(a, 14)) >>> 0;
  c = (c ^ b) >>> 0; c = (c - rot(b, 24)) >>> 0;
  return c;
}

/** h5py's bool: an enum over little-endian int8 with members FALSE = 0, TRUE = 1 (datatype version 3). */
export function boolEnumDatatype(): Uint8Array {
  const names = new TextEncoder().encode('FALSE\0TRUE\0');
  const out = new Uint8Array(8 + 12 + names.length + 2);
  out.set([0x38, 0x02, 0x00, 0x00, 1, 0, 0, 0]); // class 8 (enum) version 3, 2 members, size 1
  out.set([0x10, 0x08, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0], 8); // base: int8, signed, precision 8
  out.set(names, 20);
  out.set([0, 1], 20 + names.length);
  return out;
}

export interface EncodedFilter { id: number; flags: number; cdValues: readonly number[] }

/** A version-2 filter pipeline message (no names: ids below 256 never carry one, others get length 0). */
export function pipelineMessage(filters: readonly EncodedFilter[]): Uint8Array {
  let size = 2;
  for (const f of filters) size += 6 + (f.id >= 256 ? 2 : 0) + 4 * f.cdValues.length;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out[0] = 2;
  out[1] = filters.length;
  let p = 2;
  for (const f of filters) {
    dv.setUint16(p, f.id, true); p += 2;
    if (f.id >= 256) { dv.setUint16(p, 0, true); p += 2; }
    dv.setUint16(p, f.flags, true); p += 2;
    dv.setUint16(p, f.cdValues.length, true); p += 2;
    for (const v of f.cdValues) { dv.setUint32(p, v >>> 0, true); p += 4; }
  }
  return out;
}

interface Message { type: number; flags: number; crt: number; body: Uint8Array }
interface Chunk {
  /** file offset of the chunk's first byte (its signature) */
  addr: number;
  /** the bytes from the signature up to (not including) the checksum */
  image: Uint8Array;
  /** offset of the first message within image */
  start: number;
  messages: Message[];
  gap: number;
  dirty: boolean;
}

function readAt(fd: number, pos: number, len: number): Uint8Array {
  const buf = new Uint8Array(len);
  const n = readSync(fd, buf, 0, len, pos);
  if (n !== len) throw new Error(`short read at ${pos}`);
  return buf;
}

function parseMessages(image: Uint8Array, start: number, end: number, hdr: number): { messages: Message[]; gap: number } {
  const dv = new DataView(image.buffer, image.byteOffset, image.byteLength);
  const messages: Message[] = [];
  let p = start;
  while (end - p >= hdr) {
    const type = image[p]!;
    const size = dv.getUint16(p + 1, true);
    const flags = image[p + 3]!;
    const crt = hdr === 6 ? dv.getUint16(p + 4, true) : 0;
    if (p + hdr + size > end) throw new Error(`message at ${p} runs past its chunk`);
    messages.push({ type, flags, crt, body: image.slice(p + hdr, p + hdr + size) });
    p += hdr + size;
  }
  return { messages, gap: end - p };
}

interface ObjectHeader { chunks: Chunk[]; hdr: number }

/** Reads and checks every chunk of the version-2 object header at `addr`. */
function readObjectHeader(fd: number, addr: number): ObjectHeader {
  const fileSize = fstatSync(fd).size;
  const prefix = readAt(fd, addr, 64 > fileSize - addr ? fileSize - addr : 64);
  if (String.fromCharCode(...prefix.subarray(0, 4)) !== 'OHDR' || prefix[4] !== 2) {
    throw new Error(`no version-2 object header at address ${addr}`);
  }
  const oflags = prefix[5]!;
  const hdr = oflags & 0x04 ? 6 : 4;
  let p = 6;
  if (oflags & 0x20) p += 16;
  if (oflags & 0x10) p += 4;
  const sizeBytes = 1 << (oflags & 3);
  let chunk0Size = 0;
  for (let i = 0; i < sizeBytes; i++) chunk0Size += prefix[p + i]! * 2 ** (8 * i);
  const start0 = p + sizeBytes;
  const chunks: Chunk[] = [];
  const loadChunk = (at: number, total: number, start: number, sig: string): void => {
    const raw = readAt(fd, at, total);
    const image = raw.subarray(0, total - 4);
    if (String.fromCharCode(...image.subarray(0, 4)) !== sig) throw new Error(`bad ${sig} signature at ${at}`);
    const stored = new DataView(raw.buffer).getUint32(total - 4, true);
    if (lookup3(image) !== stored) throw new Error(`checksum mismatch in object header chunk at ${at}`);
    const { messages, gap } = parseMessages(image, start, image.length, hdr);
    chunks.push({ addr: at, image, start, messages, gap, dirty: false });
    for (const m of messages) {
      if (m.type === MSG_CONTINUATION) {
        const dv = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
        loadChunk(Number(dv.getBigUint64(0, true)), Number(dv.getBigUint64(8, true)), 4, 'OCHK');
      }
    }
  };
  loadChunk(addr, start0 + chunk0Size + 4, start0, 'OHDR');
  return { chunks, hdr };
}

/** Writes the dirty chunks back, messages re-serialised, with a new checksum. */
function writeObjectHeader(fd: number, { chunks, hdr }: ObjectHeader): void {
  for (const c of chunks) {
    if (!c.dirty) continue;
    absorbGap(c);
    const out = new Uint8Array(c.image.length + 4);
    out.set(c.image.subarray(0, c.start));
    const dv = new DataView(out.buffer);
    let q = c.start;
    for (const m of c.messages) {
      out[q] = m.type;
      dv.setUint16(q + 1, m.body.length, true);
      out[q + 3] = m.flags;
      if (hdr === 6) dv.setUint16(q + 4, m.crt, true);
      out.set(m.body, q + hdr);
      q += hdr + m.body.length;
    }
    if (q + c.gap !== c.image.length) throw new Error('internal: object header chunk size changed');
    dv.setUint32(c.image.length, lookup3(out.subarray(0, c.image.length)), true);
    writeSync(fd, out, 0, out.length, c.addr);
  }
}

/**
 * Replaces messages (by type) of the object header at `addr`. Each new body goes into the place
 * of the old message when it fits, else into a free (NULL) message of any chunk; the old space
 * becomes free. Throws when no chunk has room.
 */
export function patchObjectHeader(file: string, addr: number, replace: ReadonlyMap<number, Uint8Array>): void {
  const fd = openSync(file, 'r+');
  try {
    const oh = readObjectHeader(fd, addr);
    const { chunks, hdr } = oh;
    for (const [type, body] of replace) {
      const owner = chunks.find((c) => c.messages.some((m) => m.type === type));
      if (!owner) throw new Error(`object header has no message of type ${type}`);
      const idx = owner.messages.findIndex((m) => m.type === type);
      const old = owner.messages[idx]!;
      // free the old message, merge neighbouring free space, then place the new one
      owner.messages[idx] = { type: MSG_NULL, flags: 0, crt: 0, body: new Uint8Array(old.body.length) };
      owner.dirty = true;
      for (const c of chunks) coalesce(c, hdr);
      const placed = [owner, ...chunks.filter((c) => c !== owner)].some((c) => place(c, { ...old, body }, hdr));
      if (!placed) throw new Error(`no room in the object header for a ${body.length}-byte message of type ${type}`);
    }
    writeObjectHeader(fd, oh);
  } catch (e) {
    throw new NxswError('FILE_ERROR', `${file}: cannot rewrite the object header at ${addr}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Bool attributes

/** Member name of the bool placeholder; 11 characters make its datatype exactly as long as the enum. */
export const BOOL_PLACEHOLDER_MEMBER = '_nxsw_bool_';

/**
 * The placeholder a bool attribute is created with: a compound of one int8 member (h5wasm can
 * create compounds, not enums). Encoded (datatype version 3) it has the same length as
 * boolEnumDatatype(), so the patch swaps bytes in place: no message grows, which also works for
 * attributes in dense storage (a fractal heap object cannot grow in place).
 */
export function boolPlaceholderDatatype(): Uint8Array {
  const name = new TextEncoder().encode(`${BOOL_PLACEHOLDER_MEMBER}\0`);
  const out = new Uint8Array(8 + name.length + 1 + 12);
  out.set([0x36, 0x01, 0x00, 0x00, 1, 0, 0, 0]); // class 6 (compound) version 3, 1 member, size 1
  out.set(name, 8);
  out[8 + name.length] = 0; // member offset, 1 byte for a 1-byte compound
  out.set([0x10, 0x08, 0x00, 0x00, 1, 0, 0, 0, 0, 0, 8, 0], 9 + name.length); // int8
  return out;
}

const UNDEF = 0xffffffffffffffffn;

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  const first = needle[0]!;
  outer: for (let i = hay.indexOf(first, from); i >= 0 && i + needle.length <= hay.length; i = hay.indexOf(first, i + 1)) {
    for (let j = 1; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Offset of the datatype in an attribute message body (versions 1-3), or -1. */
function attrDatatype(body: Uint8Array, name: Uint8Array): number {
  const version = body[0];
  if (version !== 1 && version !== 2 && version !== 3) return -1;
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const nameSize = dv.getUint16(2, true);
  const nameAt = version === 3 ? 9 : 8;
  if (nameSize !== name.length + 1 || body[nameAt + name.length] !== 0) return -1;
  for (let i = 0; i < name.length; i++) if (body[nameAt + i] !== name[i]) return -1;
  return nameAt + (version === 1 ? Math.ceil(nameSize / 8) * 8 : nameSize);
}

/**
 * Turns bool placeholder attributes (by name) of the object at `addr` into h5py's bool enum, in
 * compact storage (object header messages) or dense storage (fractal heap direct blocks of a
 * root direct or indirect block). Returns the names it could not patch; those keep the
 * placeholder and the caller rewrites them as int8.
 */
export function patchBoolAttributes(file: string, addr: number, names: readonly string[]): string[] {
  const from = boolPlaceholderDatatype();
  const to = boolEnumDatatype();
  const enc = new TextEncoder();
  const left = new Set(names);
  const fd = openSync(file, 'r+');
  try {
    const oh = readObjectHeader(fd, addr);
    let heapAddr: bigint | undefined;
    for (const c of oh.chunks) {
      for (const m of c.messages) {
        if (m.type === MSG_ATTRIBUTE) {
          for (const n of left) {
            const at = attrDatatype(m.body, enc.encode(n));
            if (at < 0) continue;
            if (indexOf(m.body.subarray(at, at + from.length), from, 0) === 0) {
              m.body.set(to, at);
              c.dirty = true;
              left.delete(n);
            }
            break;
          }
        } else if (m.type === MSG_ATTRIBUTE_INFO) {
          const dv = new DataView(m.body.buffer, m.body.byteOffset, m.body.byteLength);
          const a = dv.getBigUint64(m.body[1]! & 1 ? 4 : 2, true);
          if (a !== UNDEF) heapAddr = a;
        }
      }
    }
    writeObjectHeader(fd, oh);
    if (left.size && heapAddr !== undefined) patchDenseAttributes(fd, Number(heapAddr), left, from, to);
  } catch {
    // anything unexpected in the layout: leave the rest to the int8 fallback
  } finally {
    closeSync(fd);
  }
  return [...left];
}

/** Patches placeholder attribute messages held in the direct blocks of a fractal heap. */
function patchDenseAttributes(fd: number, heapAddr: number, left: Set<string>, from: Uint8Array, to: Uint8Array): void {
  const h = readAt(fd, heapAddr, 146);
  const dv = new DataView(h.buffer);
  if (String.fromCharCode(...h.subarray(0, 4)) !== 'FRHP' || h[4] !== 0) return;
  if (dv.getUint16(7, true) !== 0) return; // filtered heap: blocks are compressed
  const checksummed = (h[9]! & 0x02) !== 0;
  const width = dv.getUint16(110, true);
  const startSize = Number(dv.getBigUint64(112, true));
  const maxDirect = Number(dv.getBigUint64(120, true));
  const offsetBytes = Math.ceil(dv.getUint16(128, true) / 8);
  const root = dv.getBigUint64(132, true);
  const rows = dv.getUint16(140, true);
  if (root === UNDEF) return;
  const blocks: Array<{ addr: number; size: number }> = [];
  if (rows === 0) blocks.push({ addr: Number(root), size: startSize });
  else {
    const ib = readAt(fd, Number(root), 4 + 1 + 8 + offsetBytes + rows * width * 8);
    if (String.fromCharCode(...ib.subarray(0, 4)) !== 'FHIB') return;
    const idv = new DataView(ib.buffer);
    let p = 4 + 1 + 8 + offsetBytes;
    for (let r = 0; r < rows; r++) {
      const size = r < 2 ? startSize : startSize * 2 ** (r - 1);
      for (let c = 0; c < width; c++, p += 8) {
        const a = idv.getBigUint64(p, true);
        if (a === UNDEF) continue;
        if (size > maxDirect) return; // nested indirect blocks: not handled (fallback)
        blocks.push({ addr: Number(a), size });
      }
    }
  }
  const enc = new TextEncoder();
  const dataStart = 4 + 1 + 8 + offsetBytes + (checksummed ? 4 : 0);
  for (const b of blocks) {
    const block = readAt(fd, b.addr, b.size);
    if (String.fromCharCode(...block.subarray(0, 4)) !== 'FHDB') continue;
    let dirty = false;
    for (const n of [...left]) {
      // the name (NUL-terminated) followed by the placeholder type; stale copies in free heap
      // space may match too, and patching them is harmless
      const needle = new Uint8Array([...enc.encode(n), 0, ...from]);
      for (let i = indexOf(block, needle, dataStart); i >= 0; i = indexOf(block, needle, i + 1)) {
        block.set(to, i + needle.length - from.length);
        dirty = true;
        left.delete(n);
      }
    }
    if (!dirty) continue;
    if (checksummed) {
      const at = dataStart - 4;
      block.fill(0, at, at + 4);
      new DataView(block.buffer).setUint32(at, lookup3(block), true);
    }
    writeSync(fd, block, 0, block.length, b.addr);
  }
}

/**
 * HDF5 allows a gap (< one message header) at a chunk's end only in a chunk without free (NULL)
 * messages: where there is one, the gap belongs to it (the library refuses the header otherwise,
 * "gap in chunk with no null messages"). A patch that frees a message in such a chunk therefore
 * gives the gap to the chunk's last free message before the chunk is written.
 */
function absorbGap(c: Chunk): void {
  if (c.gap === 0) return;
  for (let i = c.messages.length - 1; i >= 0; i--) {
    const m = c.messages[i]!;
    if (m.type !== MSG_NULL) continue;
    m.body = new Uint8Array(m.body.length + c.gap);
    c.gap = 0;
    return;
  }
}

function coalesce(c: Chunk, hdr: number): void {
  const out: Message[] = [];
  for (const m of c.messages) {
    const prev = out[out.length - 1];
    if (prev && prev.type === MSG_NULL && m.type === MSG_NULL && prev.body.length + hdr + m.body.length <= 0xffff) {
      prev.body = new Uint8Array(prev.body.length + hdr + m.body.length);
      c.dirty = true;
    } else out.push({ ...m });
  }
  c.messages = out;
}

function place(c: Chunk, msg: Message, hdr: number): boolean {
  for (let i = 0; i < c.messages.length; i++) {
    const m = c.messages[i]!;
    if (m.type !== MSG_NULL) continue;
    const free = m.body.length;
    if (free === msg.body.length) {
      c.messages[i] = msg;
    } else if (free >= msg.body.length + hdr) {
      c.messages.splice(i, 1, msg, { type: MSG_NULL, flags: 0, crt: 0, body: new Uint8Array(free - msg.body.length - hdr) });
    } else continue;
    c.dirty = true;
    return true;
  }
  return false;
}
