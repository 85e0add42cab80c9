// Helpers for this plugin's tests: a read context, and the real Tango stack with PyTango as peer.
import { spawnSync } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { JsonRecord, ReadContext, Decoder } from '@nxsw/core';
import { Database, Orb } from '@nxsw/tango-wire';
import { utf8Decoder, uint32Decoder, limaVideoDecoder, dataArrayDecoder } from '../src/index.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const TANGO_HOST = process.env.TANGO_HOST || 'localhost:10000';
process.env.TANGO_HOST = TANGO_HOST;
export const TEST_DEVICE = 'sys/tg_test/1';

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
export async function stackUp(): Promise<boolean> {
  const orb = new Orb({ timeoutMs: 2000, connectTimeoutMs: 2000 });
  try {
    return (await new Database(TANGO_HOST, orb).importDevice(TEST_DEVICE)).exported;
  } catch {
    return false;
  } finally {
    orb.close();
  }
}

export function havePyTango(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import tango'], { stdio: 'ignore' }).status === 0;
}

/** Runs Python with PyTango; `inp` (JSON) is the variable inp, the snippet sets out (printed as JSON). */
export function py<T>(code: string, inp: unknown = null): T {
  const script = `
import json, sys, tango, numpy
inp = json.loads(sys.stdin.read())
def plain(v):
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, numpy.ndarray): return plain(v.tolist())
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, numpy.bool_): return bool(v)
    if isinstance(v, numpy.integer): v = int(v)
    if isinstance(v, numpy.floating): return float(v)
    if isinstance(v, tango.DevState): return str(v)
    if isinstance(v, bool): return v
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    return v
out = None
${code}
print(json.dumps(plain(out)))
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(inp), encoding: 'utf8', env: { ...process.env, TANGO_HOST }, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`PyTango snippet failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
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
