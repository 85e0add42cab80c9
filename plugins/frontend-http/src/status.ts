/**
 * What the status page shows of each writer session, sampled on a timer and pushed to the
 * page's server-sent event streams only when it changed. Sampling reads a few getters: the
 * write path does not know it is watched.
 */
import type { ConfigurationSummary, SessionRegistry, WriterSession } from '@nxsw/core';

export interface SessionStatus {
  name: string;
  state: string;
  status: string;
  files: string[];
  /** the file is open: the h5grove API and H5Web can read it */
  open: boolean;
  /** the files the API serves for this session now (open, else the last closed), each with its `file` parameter */
  view: Array<{ path: string; file: string }>;
  /** the files of the last CloseFile and when (ISO time), while no file is open */
  closed?: { files: string[]; at: string };
  records: number;
  /** records per second over the last seconds */
  rate: number;
  errors: string[];
  summary?: ConfigurationSummary;
  summaryError?: string;
}

const RATE_WINDOW_MS = 2000;
const LAST_ERRORS = 5;

export class StatusSampler {
  private readonly history = new Map<WriterSession, Array<[number, number]>>();
  private readonly summaries = new WeakMap<WriterSession, { xml: string; summary?: ConfigurationSummary; error?: string }>();

  constructor(private readonly sessions: SessionRegistry) {}

  sample(now = Date.now()): SessionStatus[] {
    const live = new Set<WriterSession>();
    const out = this.sessions.entries().map(([name, s]) => {
      live.add(s);
      const h = this.history.get(s) ?? [];
      h.push([now, s.records]);
      while (h.length > 2 && now - h[0]![0] > RATE_WINDOW_MS) h.shift();
      this.history.set(s, h);
      const [t0, r0] = h[0]!;
      const rate = now > t0 && s.records >= r0 ? ((s.records - r0) * 1000) / (now - t0) : 0;
      const summary = this.summaryOf(s);
      const open = s.openSinkFile !== undefined;
      const last = open ? undefined : this.sessions.lastClosed(name);
      const shown = open ? s.outputFiles : [...(last?.files ?? [])];
      // a StepsPerFile scan's files are NAME@1, NAME@2, …; a single file is NAME
      const view = shown.map((path, i) => ({ path, file: shown.length > 1 ? `${name}@${i + 1}` : name }));
      return {
        name, state: s.state, status: s.status, files: s.outputFiles, open, view,
        closed: last ? { files: [...last.files], at: new Date(last.closedAt).toISOString() } : undefined,
        records: s.records, rate: Math.round(rate * 10) / 10, errors: s.errors.slice(-LAST_ERRORS),
        summary: summary?.summary, summaryError: summary?.error,
      };
    });
    for (const s of this.history.keys()) if (!live.has(s)) this.history.delete(s);
    return out;
  }

  /** the configuration's summary (`nxsw check`), computed once per configuration, in the background */
  private summaryOf(s: WriterSession): { summary?: ConfigurationSummary; error?: string } | undefined {
    const xml = s.xmlSettings;
    if (!xml) return undefined;
    const known = this.summaries.get(s);
    if (known?.xml === xml) return known;
    const entry: { xml: string; summary?: ConfigurationSummary; error?: string } = { xml };
    this.summaries.set(s, entry);
    s.checkConfiguration(xml).then((summary) => { entry.summary = summary; }, (e: unknown) => { entry.error = e instanceof Error ? e.message : String(e); });
    return entry;
  }
}
