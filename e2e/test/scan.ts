// Helpers for end-to-end tests: a kernel with the installed plugins and a whole scan through a
// writer session, as a control client would drive it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel, WriterSession, parseChoices, type SessionOptions } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';

export const REPO = fileURLToPath(new URL('../../..', import.meta.url));

// PYEVAL's worker runs Debian's Python, which has numpy and h5py (the python3 first on PATH may not)
process.env.NXSW_PYTHON ??= SYSTEM_PYTHON;

let kernel: Promise<Kernel> | undefined;
/**
 * The installed plugins of the workspace, discovered as a user's server would, with the choices of
 * NXSW_CHOOSE (the suite runs once per HDF5 sink: scripts/run-tests.mjs sets it for the second run).
 */
export function sharedKernel(): Promise<Kernel> {
  kernel ??= Kernel.start({ cwd: REPO, choose: parseChoices() });
  return kernel;
}

/** the plugin that serves format HDF5 in this run */
export async function hdf5Sink(): Promise<string | undefined> {
  return (await sharedKernel()).providerOf('sink', 'HDF5');
}

export function tempDir(): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-e2e-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ScanSpec {
  readonly xml?: string;
  readonly fileName: string;
  readonly global?: unknown;
  /** each entry is one Record: an object (sent as JSON), a raw string, or undefined (no argument) */
  readonly records?: ReadonlyArray<unknown>;
  readonly final?: unknown;
  readonly canFail?: boolean;
  readonly stepsPerFile?: number;
  readonly session?: Partial<SessionOptions>;
  /** called after each command with its name, to observe the session */
  readonly observe?: (command: string, session: WriterSession) => void;
}

export async function newSession(extra: Partial<SessionOptions> = {}): Promise<WriterSession> {
  return new WriterSession({ extensions: await sharedKernel(), creator: { name: 'nxsw', version: 'test' }, ...extra });
}

/** Runs a whole scan; record failures are collected, not thrown, so tests can check them. */
export async function runScan(spec: ScanSpec): Promise<{ session: WriterSession; recordErrors: unknown[] }> {
  const s = await newSession(spec.session);
  const obs = (c: string) => spec.observe?.(c, s);
  s.setFileName(spec.fileName);
  if (spec.stepsPerFile) s.setStepsPerFile(spec.stepsPerFile);
  if (spec.canFail !== undefined) s.setCanFail(spec.canFail);
  await s.openFile();
  obs('OpenFile');
  if (spec.xml !== undefined) s.setXmlSettings(spec.xml);
  if (spec.global !== undefined) s.setJsonRecord(JSON.stringify(spec.global));
  await s.openEntry();
  obs('OpenEntry');
  const recordErrors: unknown[] = [];
  for (const r of spec.records ?? []) {
    try {
      await s.record(r === undefined ? undefined : typeof r === 'string' ? r : JSON.stringify(r));
    } catch (e) {
      recordErrors.push(e);
    }
    obs('Record');
  }
  if (spec.final !== undefined) s.setJsonRecord(JSON.stringify(spec.final));
  await s.closeEntry();
  obs('CloseEntry');
  await s.closeFile();
  obs('CloseFile');
  return { session: s, recordErrors };
}
