/**
 * The NXDL report of a device's configuration: computed when XMLSettings is written (the
 * application definitions the configuration's entries claim, as `nxsw check` reports them),
 * exposed as JSON by the attribute NXDLReport, its findings logged as warnings. With the
 * property NXDLStrict a configuration that fails its application definition is refused.
 */
import { NxswError, checkPlanAgainstNxdl, formatReport, nxdlLibrary, type GroupPlan, type Logger, type NxdlReport } from '@nxsw/core';

export class NxdlConfigurationCheck {
  private last: NxdlReport | undefined;

  constructor(
    private readonly device: string,
    private readonly log: Logger,
    private readonly strict: boolean,
    /** a folder of NeXus definitions; '' for the copy shipped with nxsw */
    private readonly directory: string,
  ) {}

  /**
   * Checks the plan of a new configuration before the session takes it (the session has parsed
   * it already; syntax and tag errors never get here). No plan (an empty configuration) clears
   * the report.
   */
  check(plan: GroupPlan | undefined): void {
    if (!plan) {
      this.last = undefined;
      return;
    }
    let report: NxdlReport;
    try {
      report = checkPlanAgainstNxdl(plan, nxdlLibrary(this.directory || undefined));
    } catch (e) {
      // an unreadable NXDL folder must not stop a beamline's configuration
      this.log.warn(`${this.device}: no NXDL report: ${e instanceof Error ? e.message : String(e)}`);
      this.last = undefined;
      return;
    }
    // one log line per finding, each naming the device
    if (report.findings.length) for (const l of formatReport(report, 'XMLSettings')) this.log.warn(`${this.device}: ${l.trim()}`);
    if (this.strict && !report.ok) {
      const errors = report.findings.filter((f) => f.severity === 'error').map((f) => f.message);
      throw new NxswError('CONFIG_INVALID', `the configuration does not meet its application definition (NXDLStrict): ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? `; and ${errors.length - 5} more (see NXDLReport)` : ''}`);
    }
    this.last = report;
  }

  /** the last report as JSON; `{}` while no configuration is set */
  get json(): string {
    return this.last ? JSON.stringify(this.last) : '{}';
  }
}
