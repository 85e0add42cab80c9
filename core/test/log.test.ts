// Repeated log lines are counted, not printed: a client provoking the same warning cannot flood the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitedLogger, type Logger } from '../src/index.js';

function capture(): { lines: string[]; log: Logger } {
  const lines: string[] = [];
  const add = (level: string) => (m: string) => lines.push(`${level}: ${m}`);
  return { lines, log: { debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') } };
}

test('a line repeated within the window is printed once, then its count', async () => {
  const { lines, log } = capture();
  const limited = rateLimitedLogger(log, 200);
  for (let i = 0; i < 1234; i++) limited.warn(`GIOP protocol error, closing the connection: 127.0.0.1:${40000 + (i % 50)}: bad header`);
  limited.warn('something else');
  limited.error('GIOP protocol error, closing the connection: 127.0.0.1:1: bad header');
  assert.deepEqual(lines, [
    'warn: GIOP protocol error, closing the connection: 127.0.0.1:40000: bad header',
    'warn: something else',
    'error: GIOP protocol error, closing the connection: 127.0.0.1:1: bad header',
  ]);
  await new Promise((r) => setTimeout(r, 450));
  assert.deepEqual(lines.slice(3), ['warn: GIOP protocol error, closing the connection: 127.0.0.1:40033: bad header (repeated 1233 times)']);
  limited.warn('something else');
  assert.equal(lines.at(-1), 'warn: something else', 'after the window the line is printed again');
});
