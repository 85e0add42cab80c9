// Test helpers: a real scan written by a WriterSession (the example's configuration, the kernel's
// default sink), registered where the live view finds it.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kernel, WriterSession } from '@nxsw/core';

export const ROOT = new URL('../../../../', import.meta.url).pathname;
export const SCAN_XML = readFileSync(join(ROOT, 'examples/scan/scan.xml'), 'utf8');
export const GLOBAL_JSON = readFileSync(join(ROOT, 'examples/scan/global.json'), 'utf8');
export const FINAL_JSON = readFileSync(join(ROOT, 'examples/scan/final.json'), 'utf8');

/** the example's record i: a counter and a 16-channel spectrum */
export function recordOf(i: number): { counter: number; mca: number[] } {
  return { counter: 100 + i * 1.5, mca: Array.from({ length: 16 }, (_, k) => (k * 7 + i) % 50) };
}
export function recordJson(i: number): string {
  const r = recordOf(i);
  return JSON.stringify({ data: { exp_c01: r.counter, 'p09/mca/exp.02': r.mca } });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'nxsw-live-'));
}

export async function openScan(kernel: Kernel, name: string, file: string, stepsPerFile = 0): Promise<WriterSession> {
  const session = new WriterSession({ extensions: kernel, log: kernel.log, limits: kernel.limits });
  // the example's SQLite path is relative to the repository root
  session.setXmlSettings(SCAN_XML.replace('examples/scan/beamline.sqlite', join(ROOT, 'examples/scan/beamline.sqlite')));
  session.setFileName(file);
  if (stepsPerFile) session.setStepsPerFile(stepsPerFile);
  session.setJsonRecord(GLOBAL_JSON);
  kernel.sessions.set(name, session);
  await session.openFile();
  await session.openEntry();
  return session;
}

/** a whole scan of `records` Records, closed */
export async function writeScan(kernel: Kernel, name: string, file: string, records: number, stepsPerFile = 0): Promise<WriterSession> {
  const session = await openScan(kernel, name, file, stepsPerFile);
  for (let i = 0; i < records; i++) await session.record(recordJson(i));
  session.setJsonRecord(FINAL_JSON);
  await session.closeFile();
  return session;
}
