/** Malformed input: randomly corrupted and truncated captured messages only ever raise CdrError/GiopError. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CdrError, CdrReader } from '../src/cdr.js';
import { GiopError, GiopStreamParser, readReplyHeader, readRequestHeader, MsgType } from '../src/giop.js';
import { readAttributeValueList45, readAttributeValue3 } from '../src/attribute-value.js';
import { readAttributeConfigList, readCommandInfoList, readDevInfo, readUserException } from '../src/idl.js';
import { readAny } from '../src/typecode.js';
import { parseIor } from '../src/ior.js';
import { conversations } from './helpers/pcap.js';

test('corrupted captures never throw anything but CdrError / GiopError', () => {
  let seed = 12345;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const decoders: ((r: CdrReader) => unknown)[] = [
    (r) => readAttributeValueList45(r, 5), (r) => readAttributeConfigList(r, 5), (r) => readAttributeConfigList(r, 2),
    (r) => readCommandInfoList(r, 2), (r) => readAny(r), (r) => readDevInfo(r, 3), (r) => readUserException(r), (r) => readAttributeValue3(r),
  ];
  const counts = { ok: 0, cdr: 0, giop: 0 };
  for (const conv of conversations('pytango-tangotest.pcap')) {
    for (const m of [...conv.requests, ...conv.replies]) {
      for (let k = 0; k < 25; k++) {
        const b = m.bytes.slice();
        for (let i = 0, n = 1 + Math.floor(rnd() * 4); i < n; i++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        const bytes = rnd() < 0.3 ? b.subarray(0, Math.floor(rnd() * b.length)) : b;
        const attempts: (() => unknown)[] = [
          () => {
            for (const mm of new GiopStreamParser().push(bytes)) {
              const r = mm.reader();
              if (mm.header.type === MsgType.Request) readRequestHeader(r, mm.header.minor);
              else if (mm.header.type === MsgType.Reply) readReplyHeader(r, mm.header.minor);
            }
          },
          ...decoders.map((d) => () => d(new CdrReader(bytes, Math.min(bytes.length, 24), (bytes[6] & 1) === 1, 0))),
        ];
        for (const attempt of attempts) {
          try {
            attempt();
            counts.ok++;
          } catch (e) {
            if (e instanceof CdrError) counts.cdr++;
            else if (e instanceof GiopError) counts.giop++;
            else assert.fail(`unexpected ${(e as Error).name}: ${(e as Error).message}`);
          }
        }
      }
    }
  }
  assert.ok(counts.cdr > 100 && counts.giop > 10, JSON.stringify(counts));
});

test('corrupted IORs raise IorError naming the problem', () => {
  const good = '010000001700000049444c3a54616e676f2f4465766963655f353a312e300000010000000000000010000000';
  for (let cut = 2; cut < good.length; cut += 6) assert.throws(() => parseIor('IOR:' + good.slice(0, cut)), /IOR/);
});
