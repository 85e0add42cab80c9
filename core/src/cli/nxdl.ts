/**
 * The NXDL part of `nxsw check` and the command `nxsw validate FILE`: the application
 * definitions a configuration or a written file claims, checked with the same rules.
 */
import { extname } from 'node:path';
import { NxswError } from '../api/errors.js';
import type { SinkFactory } from '../api/extensions.js';
import type { Kernel } from '../kernel/kernel.js';
import type { GroupPlan } from '../engine/plan.js';
import { checkPlanAgainstNxdl, formatReport, nxdlLibrary, validateFileAgainstNxdl, type NxdlReport } from '../nxdl/index.js';

export interface NxdlFlags {
  /** a folder of NeXus definitions instead of the copy shipped with nxsw */
  readonly nxdl?: string;
  /** the application definition for every NXentry, whatever its definition field says */
  readonly app?: string;
}

export function checkPlan(plan: GroupPlan, flags: NxdlFlags): NxdlReport {
  return checkPlanAgainstNxdl(plan, nxdlLibrary(flags.nxdl), { application: flags.app });
}

export function printReport(report: NxdlReport, subject: string): void {
  process.stdout.write(`${formatReport(report, subject).join('\n')}\n`);
}

/**
 * An installed sink that can read FILE back (by suffix, else any reader). The sink serving a
 * format is the one the kernel chose by precedence (the native HDF5 sink where the system library
 * loads, else the h5wasm one), so the reader follows the writer.
 */
export function readerFor(kernel: Kernel, file: string): SinkFactory | undefined {
  const sinks = kernel.list<SinkFactory>('sink');
  const suffix = extname(file).toLowerCase();
  return sinks.find((s) => s.openReader && s.suffixes?.includes(suffix)) ?? sinks.find((s) => s.openReader);
}

/**
 * When the sink serving a format cannot read files back (a native sink ahead of one that can),
 * the plugin the kernel set aside for it that provides the same sink, to choose instead.
 */
export function setAsideSinkPlugins(kernel: Kernel): Array<{ choose: string; plugin: string }> {
  const served = new Set(kernel.list<SinkFactory>('sink').filter((s) => !s.openReader).map((s) => s.name));
  return kernel.plugins
    .filter((p) => p.status === 'refused')
    .flatMap((p) => p.provides.filter((x) => x.kind === 'sink' && served.has(x.name)).map((x) => ({ choose: `sink:${x.name}`, plugin: p.name })));
}

/** `nxsw validate FILE`: exit 0 when the file meets its application definitions, 1 when not. */
export async function runValidate(kernel: Kernel, file: string, flags: NxdlFlags & { readonly json: boolean }): Promise<number> {
  const lib = nxdlLibrary(flags.nxdl);
  const sink = readerFor(kernel, file);
  if (!sink?.openReader) throw new NxswError('PLUGIN_REFUSED', `no installed sink can read ${file} back (installed sinks: ${kernel.list<SinkFactory>('sink').map((s) => s.name).join(', ') || 'none'})`);
  const started = performance.now();
  const reader = await sink.openReader(file);
  let report: NxdlReport;
  try {
    report = validateFileAgainstNxdl(reader, lib, { application: flags.app });
  } finally {
    reader.close();
  }
  const seconds = (performance.now() - started) / 1000;
  // which plugin read the file (the native or the h5wasm HDF5 sink), for the record and benchmarks
  const readBy = kernel.providerOf('sink', sink.name) ?? sink.name;
  if (flags.json) process.stdout.write(`${JSON.stringify({ file, reader: readBy, seconds: Number(seconds.toFixed(3)), ...report })}\n`);
  else printReport(report, file);
  return report.ok ? 0 : 1;
}
