// Helpers for this plugin's tests: a read context, and the real Tango stack with PyTango as peer.
import { createServer, type Socket } from 'node:net';
import type { JsonRecord, ReadContext, Decoder } from '@nxsw/core';
import { SYSTEM_PYTHON, TANGO_HOST, TEST_DEVICE, havePyTango, runPyTango, tangoStackUp } from '@nxsw/tango-wire/testkit';
import { utf8Decoder, uint32Decoder, limaVideoDecoder, dataArrayDecoder } from '../src/index.js';

export { SYSTEM_PYTHON, TANGO_HOST, TEST_DEVICE, havePyTango };
export { changesTangoTest } from '@nxsw/tango-wire/testkit';
process.env.TANGO_HOST = TANGO_HOST;

const DECODERS = new Map<string, Decoder>([utf8Decoder, uint32Decoder, limaVideoDecoder('LIMA_VIDEO_IMAGE'), limaVideoDecoder('VIDEO_IMAGE'), dataArrayDecoder].map((d) => [d.name, d]));

export function ctx(opts: { step?: number; globalJson?: JsonRecord; localJson?: JsonRecord; signal?: AbortSignal } = {}): ReadContext {
  return {
    phase: 'STEP', step: opts.step ?? 1, globalJson: opts.globalJson ?? {}, localJson: opts.localJson,
    signal: opts.signal ?? new AbortController().signal, shared: new Map(), file: undefined,
    decoder: (n) => {
      const d = DECODERS.get(n);
      if (!d) throw new Error(`no decoder ${n}`);
      return d;
    },
  };
}

/** True when the database answers and TangoTest is exported. */
export const stackUp = (): Promise<boolean> => tangoStackUp(TANGO_HOST, TEST_DEVICE);

/** Runs Python with PyTango (DevState values as names); see runPyTango. */
export function py<T>(code: string, inp: unknown = null): T {
  return runPyTango<T>(code, inp, { states: 'name' });
}

/** JSON-comparable form of an NxValue's data: bigints as numbers/strings, bool as booleans, images as rows */
export function plainData(v: { type: string; shape: readonly number[]; data: ArrayLike<unknown> }): unknown {
  const flat = Array.from(v.data, (x) => (typeof x === 'bigint' ? (x > 2n ** 53n || x < -(2n ** 53n) ? x.toString() : Number(x)) : v.type === 'bool' ? x !== 0 : x));
  if (v.shape.length === 0) return flat[0];
  if (v.shape.length === 1) return flat;
  const [h, w] = v.shape as [number, number];
  return Array.from({ length: h }, (_, y) => flat.slice(y * w, (y + 1) * w));
}

/** A TCP server that accepts connections and never answers (a hung device server). */
export function silentServer(): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const srv = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      resolve({ port, close: () => { for (const s of sockets) s.destroy(); srv.close(); } });
    });
  });
}
