/**
 * The FileName attribute: `file.nxs` or `file.nxs:/entry12:NXentry/NXsample` (spec 2.13), and the
 * names of split files (spec 3.4).
 */
import { NxswError } from '../api/errors.js';

export interface ParentSegment {
  readonly name: string;
  readonly nxClass: string;
}

export interface OutputName {
  readonly file: string;
  readonly parents: readonly ParentSegment[];
}

export function parseFileName(value: string): OutputName {
  let s = value.trim();
  if (s === '') throw new NxswError('FILE_ERROR', 'FileName is empty: set the output file name first');
  // two or more ":/" markers: the first segment is a scheme prefix (spec 2.13)
  if (s.split(':/').length > 2) s = s.slice(s.indexOf(':/') + 1).replace(/^\/+/, '/');
  const marker = s.indexOf(':/');
  if (marker < 0) return { file: s, parents: [] };
  const file = s.slice(0, marker);
  const parents = s.slice(marker + 2).split('/').filter(Boolean).map(parseSegment);
  return { file, parents };
}

function parseSegment(seg: string): ParentSegment {
  const colon = seg.indexOf(':');
  if (colon >= 0) {
    const name = seg.slice(0, colon);
    const nxClass = seg.slice(colon + 1);
    return { name: name || nxClass.slice(2), nxClass };
  }
  if (seg.startsWith('NX')) return { name: seg.slice(2), nxClass: seg };
  return { name: seg, nxClass: `NX${seg}` };
}

/** name.ext → name_00001.ext */
export function splitFileName(file: string, n: number): string {
  const slash = file.lastIndexOf('/');
  const dot = file.lastIndexOf('.');
  const num = String(n).padStart(5, '0');
  if (dot > slash + 1) return `${file.slice(0, dot)}_${num}${file.slice(dot)}`;
  return `${file}_${num}`;
}

/** Local time as the reference writes it: 2024-01-01T10:00:00.000000+0100 */
export function nexusTime(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}${sign}${p(Math.floor(a / 60))}${p(a % 60)}`;
}
