/**
 * The size and nesting bounds of a JSON record, checked on the text before JSON.parse so that an
 * oversized or deeply nested record costs one linear scan and gets a located error.
 */
import { NxswError } from '../api/errors.js';
import { formatBytes, type InputLimits } from '../api/limits.js';

interface Level {
  readonly object: boolean;
  key: string | undefined;
  index: number;
}

export function checkJsonBounds(text: string, what: string, limits: InputLimits): void {
  if (text.length * 3 > limits.jsonBytes) {
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > limits.jsonBytes) throw new NxswError('LIMIT_EXCEEDED', `${what} is ${bytes} bytes, more than ${formatBytes(limits.jsonBytes)} (limit jsonBytes; docs/limits.md says how to change it)`);
  }
  const stack: Level[] = [];
  let stringStart = -1;
  let lastString = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (stringStart >= 0) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) {
        lastString = text.slice(stringStart + 1, Math.min(i, stringStart + 41));
        stringStart = -1;
      }
      continue;
    }
    if (c === 0x22) stringStart = i;
    else if (c === 0x7b || c === 0x5b) { // { [
      if (stack.length >= limits.jsonDepth) {
        throw new NxswError('LIMIT_EXCEEDED', `${what}: objects and arrays nest more than ${limits.jsonDepth} deep at ${lineColumn(text, i)}, inside ${jsonPath(stack)} (limit jsonDepth; docs/limits.md says how to change it)`);
      }
      stack.push({ object: c === 0x7b, key: undefined, index: 0 });
    } else if (c === 0x7d || c === 0x5d) stack.pop(); // } ]
    else if (c === 0x3a && stack.length) stack[stack.length - 1]!.key = lastString; // :
    else if (c === 0x2c && stack.length) stack[stack.length - 1]!.index++; // ,
  }
}

function lineColumn(text: string, at: number): string {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return `line ${line}, column ${at - start + 1}`;
}

/** where the scan is, as data.c1[0][2] */
function jsonPath(stack: readonly Level[]): string {
  let p = '';
  for (const l of stack) p += l.object ? (l.key === undefined ? '' : `${p === '' ? '' : '.'}${l.key}`) : `[${l.index}]`;
  return p === '' ? 'the top level' : p;
}
