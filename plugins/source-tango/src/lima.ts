/**
 * Decoders for the two DevEncoded image formats of LIMA detector servers.
 *
 * VIDEO_IMAGE (attribute video_last_image): a 32-byte big-endian header
 *   u32 magic "VDEO" · u16 version (1) · u16 image mode · i64 frame number ·
 *   i32 width · i32 height · u16 endianness of the pixels (0 little, 1 big) · u16 header size ·
 *   u16 pad · u16 pad
 * then height × width pixels. The frame number is not checked: devices that emulate or forward
 * VIDEO_IMAGE send -1 with a real image, and the reference decodes it. Grey modes: 0 Y8, 1 Y16, 2 Y32, 3 Y64, stored unsigned as the
 * reference writer does; colour modes (RGB, Bayer, YUV) are refused.
 *
 * DATA_ARRAY (command readImage): a little-endian header
 *   u32 magic (bytes "YATD", 0x44544159) · u16 version · u16 header size · u32 category ·
 *   u32 data type · u16 endianness · u16 number of dimensions · 6 × u16 dimensions · 6 × u32 steps ·
 *   version-dependent tail (frame id, tags)
 * then the data at the header size. dim1 is the fastest axis (width), so the shape is the
 * dimensions reversed. Data types: 0 u8, 1 u16, 2 u32, 3 u64, 4 i8, 5 i16, 6 i32, 7 i64, 8 f32, 9 f64.
 */
import { NxswError } from '@nxsw/core';
import type { ElementType, NxValue, ValueData } from '@nxsw/core';
import type { SyncDecoder } from './decoders.js';

export const VIDEO_MAGIC = 0x5644454f;
export const VIDEO_HEADER_SIZE = 32;
export const DATA_ARRAY_MAGIC = 0x44544159;
export const DATA_ARRAY_MIN_HEADER = 56;

const VIDEO_MODES: readonly ElementType[] = ['uint8', 'uint16', 'uint32', 'uint64'];
const DATA_TYPES: readonly ElementType[] = ['uint8', 'uint16', 'uint32', 'uint64', 'int8', 'int16', 'int32', 'int64', 'float32', 'float64'];

function bad(decoder: string, message: string): NxswError {
  return new NxswError('VALUE_INVALID', `${decoder} decoder: ${message}`);
}

const ELEMENT_SIZE: Partial<Record<ElementType, number>> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, uint64: 8, int64: 8, float64: 8,
};

/** Reads n elements of type t from bytes at offset with the given byte order (copying, so alignment does not matter). */
export function readElements(bytes: Uint8Array, offset: number, n: number, t: ElementType, little: boolean): ValueData {
  const size = ELEMENT_SIZE[t]!;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n * size);
  switch (t) {
    case 'uint8': return bytes.slice(offset, offset + n);
    case 'int8': return new Int8Array(bytes.slice(offset, offset + n).buffer);
    case 'uint16': { const o = new Uint16Array(n); for (let i = 0; i < n; i++) o[i] = dv.getUint16(2 * i, little); return o; }
    case 'int16': { const o = new Int16Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt16(2 * i, little); return o; }
    case 'uint32': { const o = new Uint32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getUint32(4 * i, little); return o; }
    case 'int32': { const o = new Int32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getInt32(4 * i, little); return o; }
    case 'float32': { const o = new Float32Array(n); for (let i = 0; i < n; i++) o[i] = dv.getFloat32(4 * i, little); return o; }
    case 'uint64': { const o = new BigUint64Array(n); for (let i = 0; i < n; i++) o[i] = dv.getBigUint64(8 * i, little); return o; }
    case 'int64': { const o = new BigInt64Array(n); for (let i = 0; i < n; i++) o[i] = dv.getBigInt64(8 * i, little); return o; }
    case 'float64': { const o = new Float64Array(n); for (let i = 0; i < n; i++) o[i] = dv.getFloat64(8 * i, little); return o; }
    default: throw new Error(`no reader for ${t}`);
  }
}

function decodeVideo(name: string, bytes: Uint8Array): NxValue {
  if (bytes.length < VIDEO_HEADER_SIZE) throw bad(name, `${bytes.length} bytes is shorter than the ${VIDEO_HEADER_SIZE}-byte VIDEO_IMAGE header`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, VIDEO_HEADER_SIZE);
  const magic = h.getUint32(0, false);
  if (magic !== VIDEO_MAGIC) throw bad(name, `magic 0x${magic.toString(16)} is not "VDEO" (0x5644454f)`);
  const version = h.getUint16(4, false);
  if (version !== 1) throw bad(name, `header version ${version} is not supported (expected 1)`);
  const mode = h.getUint16(6, false);
  const width = h.getInt32(16, false);
  const height = h.getInt32(20, false);
  const endian = h.getUint16(24, false);
  const headerSize = h.getUint16(26, false);
  const t = VIDEO_MODES[mode];
  if (!t) throw bad(name, `image mode ${mode} is not a grey-scale mode (0 Y8, 1 Y16, 2 Y32, 3 Y64); colour modes are not supported`);
  if (width < 0 || height < 0) throw bad(name, `negative image size ${width} × ${height}`);
  if (headerSize < VIDEO_HEADER_SIZE) throw bad(name, `header size ${headerSize} is smaller than ${VIDEO_HEADER_SIZE}`);
  const n = width * height;
  const need = headerSize + n * ELEMENT_SIZE[t]!;
  if (bytes.length < need) throw bad(name, `a ${width} × ${height} ${t} image needs ${need} bytes, got ${bytes.length}`);
  return { type: t, shape: [height, width], data: readElements(bytes, headerSize, n, t, endian === 0) };
}

function decodeDataArray(bytes: Uint8Array): NxValue {
  const name = 'DATA_ARRAY';
  if (bytes.length < DATA_ARRAY_MIN_HEADER) throw bad(name, `${bytes.length} bytes is shorter than the DATA_ARRAY header`);
  const h = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const magic = h.getUint32(0, true);
  if (magic !== DATA_ARRAY_MAGIC) throw bad(name, `magic 0x${magic.toString(16)} is not "DTAY" (0x44544159)`);
  const version = h.getUint16(4, true);
  if (version < 1) throw bad(name, `header version ${version} is not supported`);
  const headerSize = h.getUint16(6, true);
  const dataType = h.getUint32(12, true);
  const endian = h.getUint16(16, true);
  const nbDim = h.getUint16(18, true);
  const t = DATA_TYPES[dataType];
  if (!t) throw bad(name, `data type ${dataType} is not supported (0..9: u8 u16 u32 u64 i8 i16 i32 i64 f32 f64)`);
  if (nbDim < 1 || nbDim > 6) throw bad(name, `${nbDim} dimensions (expected 1 to 6)`);
  if (headerSize < DATA_ARRAY_MIN_HEADER) throw bad(name, `header size ${headerSize} is too small`);
  const dims: number[] = [];
  for (let i = 0; i < nbDim; i++) dims.push(h.getUint16(20 + 2 * i, true));
  const shape = dims.reverse();
  const n = shape.reduce((a, b) => a * b, 1);
  const need = headerSize + n * ELEMENT_SIZE[t]!;
  if (bytes.length < need) throw bad(name, `shape [${shape.join(', ')}] of ${t} needs ${need} bytes, got ${bytes.length}`);
  return { type: t, shape, data: readElements(bytes, headerSize, n, t, endian === 0) };
}

export function limaVideoDecoder(name: 'LIMA_VIDEO_IMAGE' | 'VIDEO_IMAGE'): SyncDecoder {
  return { kind: 'decoder', name, decode: (_format: string, bytes: Uint8Array) => decodeVideo(name, bytes) };
}

export const dataArrayDecoder: SyncDecoder = { kind: 'decoder', name: 'DATA_ARRAY', decode: (_format: string, bytes: Uint8Array) => decodeDataArray(bytes) };

// ------------------------------------------------------------------------------------ encoders
// The inverse, for tests and for servers that want to publish these formats.

export function encodeVideoImage(image: { mode: number; width: number; height: number; frame?: bigint; pixels: Uint8Array; bigEndianPixels?: boolean }): Uint8Array {
  const out = new Uint8Array(VIDEO_HEADER_SIZE + image.pixels.length);
  const h = new DataView(out.buffer);
  h.setUint32(0, VIDEO_MAGIC, false);
  h.setUint16(4, 1, false);
  h.setUint16(6, image.mode, false);
  h.setBigInt64(8, image.frame ?? 0n, false);
  h.setInt32(16, image.width, false);
  h.setInt32(20, image.height, false);
  h.setUint16(24, image.bigEndianPixels ? 1 : 0, false);
  h.setUint16(26, VIDEO_HEADER_SIZE, false);
  out.set(image.pixels, VIDEO_HEADER_SIZE);
  return out;
}

export function encodeDataArray(a: { dataType: number; dims: number[]; payload: Uint8Array; version?: number }): Uint8Array {
  const header = 64;
  const out = new Uint8Array(header + a.payload.length);
  const h = new DataView(out.buffer);
  h.setUint32(0, DATA_ARRAY_MAGIC, true);
  h.setUint16(4, a.version ?? 2, true);
  h.setUint16(6, header, true);
  h.setUint32(8, 1, true);
  h.setUint32(12, a.dataType, true);
  h.setUint16(16, 0, true);
  h.setUint16(18, a.dims.length, true);
  a.dims.forEach((d, i) => h.setUint16(20 + 2 * i, d, true));
  out.set(a.payload, header);
  return out;
}
