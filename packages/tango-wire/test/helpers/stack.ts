/**
 * Test helper for the real Tango stack (scripts/tango-stack.sh): is it up, and PyTango
 * (Debian's /usr/bin/python3 with python3-tango) as the independent peer.
 */
import { spawnSync } from 'node:child_process';
import { Database } from '../../src/database.js';
import { Orb } from '../../src/orb.js';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const TANGO_HOST = process.env.TANGO_HOST || 'localhost:10000';
export const TEST_DEVICE = 'sys/tg_test/1';

/** True when the database answers and TangoTest is exported. */
export async function stackUp(): Promise<boolean> {
  const orb = new Orb({ timeoutMs: 2000, connectTimeoutMs: 2000 });
  try {
    const db = new Database(TANGO_HOST, orb);
    const imp = await db.importDevice(TEST_DEVICE);
    return imp.exported;
  } catch {
    return false;
  } finally {
    orb.close();
  }
}

export function havePyTango(): boolean {
  return spawnSync(SYSTEM_PYTHON, ['-c', 'import tango'], { stdio: 'ignore' }).status === 0;
}

/** Runs a Python snippet with `inp` (JSON) as the variable `inp`; the snippet sets `out`, returned as JSON. */
export function pytango<T>(code: string, inp: unknown = null): T {
  const script = `
import json, sys, tango, numpy
inp = json.loads(sys.stdin.read())
def plain(v):
    if isinstance(v, dict): return {k: plain(x) for k, x in v.items()}
    if isinstance(v, numpy.ndarray): return plain(v.tolist())
    if isinstance(v, (list, tuple)): return [plain(x) for x in v]
    if isinstance(v, (numpy.integer,)): v = int(v)
    if isinstance(v, (numpy.floating,)): return float(v)
    if isinstance(v, (numpy.bool_,)): return bool(v)
    if isinstance(v, bool): return v
    if isinstance(v, int) and abs(v) > 2**53: return str(v)
    if isinstance(v, tango.DevState): return int(v)
    return v
out = None
${code}
print(json.dumps(plain(out)))
`;
  const r = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(inp), encoding: 'utf8', env: { ...process.env, TANGO_HOST } });
  if (r.status !== 0) throw new Error(`PyTango snippet failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
