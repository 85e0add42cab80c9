/**
 * Decoders for Tango DevEncoded values (the `encoding` attribute of <device>): the bytes of a
 * DevEncoded attribute and its format string become a typed value.
 */
import { NxswError, stringValue } from '@nxsw/core';
import type { Decoder, NxValue } from '@nxsw/core';

/** nxsw's own decoders compute in place: synchronous, and they need no context */
export interface SyncDecoder extends Decoder {
  decode(format: string, bytes: Uint8Array): NxValue;
}

/** UTF8: the bytes are UTF-8 text */
export const utf8Decoder: SyncDecoder = {
  kind: 'decoder',
  name: 'UTF8',
  decode(_format: string, bytes: Uint8Array): NxValue {
    try {
      return stringValue(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch {
      throw new NxswError('VALUE_INVALID', `UTF8 decoder: the ${bytes.length} bytes are not valid UTF-8`);
    }
  },
};

/** UINT32: the bytes are little-endian unsigned 32-bit integers */
export const uint32Decoder: SyncDecoder = {
  kind: 'decoder',
  name: 'UINT32',
  decode(_format: string, bytes: Uint8Array): NxValue {
    if (bytes.length % 4 !== 0) throw new NxswError('VALUE_INVALID', `UINT32 decoder: ${bytes.length} bytes is not a multiple of 4`);
    const n = bytes.length / 4;
    const out = new Uint32Array(n);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < n; i++) out[i] = dv.getUint32(4 * i, true);
    return { type: 'uint32', shape: [n], data: out };
  },
};
