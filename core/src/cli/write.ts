/**
 * `nxsw write`: one whole OpenFile → OpenEntry → Record×N → CloseEntry → CloseFile cycle without
 * a control system. On error the file is closed, so it stays readable up to the last step.
 */
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { NxswError, errorMessage } from '../api/errors.js';
import type { Kernel } from '../kernel/kernel.js';
import { WriterSession, parseJsonRecord, type Durability } from '../engine/session.js';
import { NXSW_VERSION } from '../version.js';
import { checkPlan, printReport, type NxdlFlags } from './nxdl.js';

export interface WriteFlags {
  config: string;
  output: string;
  global?: string;
  records?: string;
  final?: string;
  stepsPerFile?: number;
  canFail: boolean;
  logs: boolean;
  swmr: boolean;
  /** write the SciCat metadata of each NXentry at CloseEntry (MetadataOutput "file") */
  metadata?: boolean;
  flushIntervalMs?: number;
  json: boolean;
}

function readText(path: string, what: string): string {
  try {
    return path === '-' ? readFileSync(0, 'utf8') : readFileSync(path, 'utf8');
  } catch (e) {
    throw new NxswError('FILE_ERROR', `cannot read ${what} ${path}: ${errorMessage(e)}`);
  }
}

async function* lines(path: string): AsyncGenerator<[number, string]> {
  const rl = createInterface({ input: path === '-' ? process.stdin : createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() !== '') yield [n, line];
  }
}

class Progress {
  private last = 0;
  private readonly tty = process.stderr.isTTY === true;
  constructor(private readonly start: number) {}
  tick(records: number): void {
    if (!this.tty) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const rate = records / Math.max((now - this.start) / 1000, 1e-3);
    process.stderr.write(`\r  ${records} records written (${rate.toFixed(0)}/s)`);
  }
  done(): void {
    if (this.tty && this.last) process.stderr.write('\r\x1b[K');
  }
}

export async function runWrite(kernel: Kernel, f: WriteFlags): Promise<number> {
  const started = Date.now();
  const xml = readText(f.config, 'the configuration');
  if (f.config === '-' && f.records === '-') throw new NxswError('FILE_ERROR', 'the configuration and the records cannot both come from standard input');
  // validate the JSON inputs before anything touches the output file
  const globalJson = f.global ? readText(f.global, 'the global JSON') : undefined;
  if (globalJson !== undefined) parseJsonRecord(globalJson, f.global!, kernel.limits);
  const finalJson = f.final ? readText(f.final, 'the final JSON') : undefined;
  if (finalJson !== undefined) parseJsonRecord(finalJson, f.final!, kernel.limits);

  const durability: Durability = f.flushIntervalMs ? { mode: 'interval', intervalMs: f.flushIntervalMs } : { mode: 'record' };
  const session = new WriterSession({
    extensions: kernel, defaultCanFail: false, addingLogs: f.logs, durability, swmr: f.swmr, metadataOutput: f.metadata ? 'file' : undefined,
    log: kernel.log, creator: { name: 'nxsw', version: NXSW_VERSION }, limits: kernel.limits,
  });
  // as at the Tango device's XMLSettings: the datasource types' checks (PYEVAL scripts compiled)
  // warn, located, and the file is written; a read of a faulty datasource fails as it would anyway
  const warnings = await session.writeXmlSettings(xml, undefined, { waitForVet: true, origin: f.config === '-' ? 'the configuration (standard input)' : f.config });
  session.setFileName(f.output);
  kernel.sessions.set('write', session);
  if (f.stepsPerFile) session.setStepsPerFile(f.stepsPerFile);
  session.setCanFail(f.canFail);
  if (globalJson !== undefined) session.setJsonRecord(globalJson);

  const progress = new Progress(started);
  let records = 0;
  let failure: unknown;
  let files: string[] = [];
  try {
    await session.openFile();
    await session.openEntry();
    if (f.records) {
      for await (const [lineNo, line] of lines(f.records)) {
        try {
          await session.record(line);
        } catch (e) {
          throw new NxswError(e instanceof NxswError ? e.code : 'INTERNAL', `${f.records} line ${lineNo}: ${errorMessage(e)}`, { cause: e });
        }
        records++;
        progress.tick(records);
      }
    }
    if (finalJson !== undefined) session.setJsonRecord(finalJson);
    await session.closeEntry();
    files = session.outputFiles;
  } catch (e) {
    failure = e;
  } finally {
    progress.done();
    try {
      if (session.state !== 'ON') await session.closeFile();
    } catch (e) {
      failure ??= e;
    }
  }
  if (failure) throw failure;
  const seconds = (Date.now() - started) / 1000;
  const summary = { ok: true, files, records, seconds: Number(seconds.toFixed(3)), warnings };
  if (f.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stdout.write(`nxsw: wrote ${records} record${records === 1 ? '' : 's'} to ${files.join(', ')} in ${seconds.toFixed(2)} s\n`);
  return 0;
}

/**
 * `nxsw check`: validates a configuration, prints a summary of what it would write and what the
 * file would lack or get wrong against the application definitions it claims (exit 1 on errors).
 */
export async function runCheck(kernel: Kernel, config: string, json: boolean, nxdl: NxdlFlags = {}): Promise<number> {
  const xml = readText(config, 'the configuration');
  const session = new WriterSession({ extensions: kernel, log: kernel.log, limits: kernel.limits });
  const s = await session.checkConfiguration(xml);
  const report = checkPlan(session.parse(xml), nxdl);
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: report.ok, ...s, nxdl: report })}\n`);
    return report.ok ? 0 : 1;
  }
  const list = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
  process.stdout.write(`nxsw: ${config} is valid: ${s.groups} groups, ${s.fields} fields, ${s.attributes} attributes, ${s.links} links\n`);
  process.stdout.write(`  values by mode: ${list(s.modes)}\n  datasources by type: ${list(s.sources)}\n`);
  printReport(report, 'NXDL');
  return report.ok ? 0 : 1;
}
