/**
 * Log lines a client can provoke at will (protocol errors, canfail failures on every Record) must
 * not flood the log: a line that repeats within a window is counted instead of printed, and the
 * count follows as one line "… (repeated N times)". Lines that differ only in numbers (a client's
 * port, a step) count as repeats.
 */
import type { Logger } from '../api/plugin.js';

type Level = keyof Logger;

interface Seen {
  readonly level: Level;
  /** the latest text of the line */
  text: string;
  readonly since: number;
  repeats: number;
}

/** distinct lines remembered at once; beyond, the oldest are reported and forgotten */
const MAX_REMEMBERED = 1000;

export function rateLimitedLogger(inner: Logger, windowMs = 10_000): Logger {
  const seen = new Map<string, Seen>();
  const report = (s: Seen): void => {
    if (s.repeats > 0) inner[s.level](`${s.text} (repeated ${s.repeats} times)`);
  };
  const expire = (all: boolean): void => {
    const now = Date.now();
    for (const [key, s] of seen) {
      if (!all && now - s.since < windowMs) continue;
      seen.delete(key);
      report(s);
    }
  };
  setInterval(() => expire(false), windowMs).unref();
  process.once('exit', () => expire(true));
  const line = (level: Level) => (text: string): void => {
    const key = `${level}:${text.replace(/\d+/g, '#')}`;
    const s = seen.get(key);
    if (s && Date.now() - s.since < windowMs) {
      s.repeats++;
      s.text = text;
      return;
    }
    if (s) report(s);
    seen.delete(key);
    if (seen.size >= MAX_REMEMBERED) {
      const [oldest, first] = seen.entries().next().value as [string, Seen];
      seen.delete(oldest);
      report(first);
    }
    seen.set(key, { level, text, since: Date.now(), repeats: 0 });
    inner[level](text);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
