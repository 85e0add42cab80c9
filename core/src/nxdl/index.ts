/**
 * NXDL validation: a configuration checked against the NeXus application definitions before the
 * scan (nxsw check, the Tango device's XMLSettings), a written file after it (nxsw validate).
 */
import type { GroupPlan } from '../engine/plan.js';
import type { SinkReader } from '../api/extensions.js';
import { NxdlLibrary, defaultNxdlDir } from './model.js';
import { observePlan } from './from-plan.js';
import { observeFile } from './from-file.js';
import { formatWhere } from './observed.js';
import { validateTree, type NxdlReport, type ValidateOptions } from './validate.js';

export { NxdlLibrary, defaultNxdlDir, parseDefinition, nameMatches, type NxdlDefinition, type NxdlGroup, type NxdlChoice, type NxdlField, type NxdlAttribute } from './model.js';
export { validateTree, type NxdlReport, type Finding, type FindingCode, type Severity, type ValidatedEntry, type ValidateOptions } from './validate.js';
export { unitsFit, parseUnits } from './units.js';
export { typeFits } from './types.js';
export type { ObservedGroup, ObservedField, ObservedNode, Where } from './observed.js';
export { observePlan, observeFile };

const libraries = new Map<string, NxdlLibrary>();

/** the definitions of a folder (default: the copy shipped with nxsw), loaded once per process */
export function nxdlLibrary(dir: string = defaultNxdlDir()): NxdlLibrary {
  let lib = libraries.get(dir);
  if (!lib) {
    lib = new NxdlLibrary(dir);
    libraries.set(dir, lib);
  }
  return lib;
}

/** what the file a configuration writes will lack or get wrong */
export function checkPlanAgainstNxdl(plan: GroupPlan, lib: NxdlLibrary, options: ValidateOptions = {}): NxdlReport {
  return validateTree(observePlan(plan), lib, options);
}

/** what a written file lacks or gets wrong */
export function validateFileAgainstNxdl(reader: SinkReader, lib: NxdlLibrary, options: ValidateOptions = {}): NxdlReport {
  return validateTree(observeFile(reader), lib, options);
}

/** The report as text lines: a summary line, then one line per finding (errors first). */
export function formatReport(report: NxdlReport, subject: string): string[] {
  const apps = report.entries.map((e) => `${e.path} as ${e.application}`).join(', ');
  const head = report.entries.length
    ? `${subject}: ${report.errors} error${report.errors === 1 ? '' : 's'}, ${report.warnings} warning${report.warnings === 1 ? '' : 's'} against NXDL ${report.nxdlVersion} (${apps})`
    : `${subject}: no entry names an application definition (give one with --app); ${report.warnings} base-class warning${report.warnings === 1 ? '' : 's'}`;
  const sorted = [...report.findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'error' ? -1 : 1));
  return [head, ...sorted.map((f) => `  ${f.severity} [${f.code}] ${formatWhere(f.where)}: ${f.message}`)];
}
