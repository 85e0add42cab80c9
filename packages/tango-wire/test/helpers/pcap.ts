/**
 * Test helper: reads the captured pcaps (classic libpcap format), joins each TCP direction's
 * payload (the captures are loopback: no loss, no reordering) and cuts it into GIOP messages.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { GiopMessage, GiopStreamParser } from '../../src/giop.js';

const here = dirname(fileURLToPath(import.meta.url));
/** test/fixtures, from the compiled dist/test/helpers or the source test/helpers */
export const FIXTURES = [join(here, '..', '..', '..', 'test', 'fixtures'), join(here, '..', 'fixtures')].find((p) => {
  try {
    readFileSync(join(p, 'pytango-nodb.pcap'));
    return true;
  } catch {
    return false;
  }
})!;

export interface Stream { src: string; dst: string; bytes: Uint8Array }

export function tcpStreams(file: string): Stream[] {
  const b = readFileSync(join(FIXTURES, file));
  const v = new DataView(b.buffer, b.byteOffset, b.length);
  const magic = v.getUint32(0, true);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const linktype = v.getUint32(20, le);
  const streams = new Map<string, { src: string; dst: string; parts: Uint8Array[] }>();
  let p = 24;
  while (p + 16 <= b.length) {
    const incl = v.getUint32(p + 8, le);
    const frame = b.subarray(p + 16, p + 16 + incl);
    p += 16 + incl;
    const off = linktype === 1 ? 14 : linktype === 113 ? 16 : 0;
    const ip = frame.subarray(off);
    if (ip[0] >> 4 !== 4 || ip[9] !== 6) continue;
    const ihl = (ip[0] & 15) * 4;
    const totalLen = (ip[2] << 8) | ip[3];
    const tcp = ip.subarray(ihl, totalLen);
    const sp = (tcp[0] << 8) | tcp[1];
    const dp = (tcp[2] << 8) | tcp[3];
    const doff = (tcp[12] >> 4) * 4;
    const data = tcp.subarray(doff);
    if (data.length === 0) continue;
    const src = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}:${sp}`;
    const dst = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}:${dp}`;
    const key = `${src}>${dst}`;
    if (!streams.has(key)) streams.set(key, { src, dst, parts: [] });
    streams.get(key)!.parts.push(data);
  }
  return [...streams.values()].map((s) => {
    const total = s.parts.reduce((n, x) => n + x.length, 0);
    const bytes = new Uint8Array(total);
    let o = 0;
    for (const x of s.parts) { bytes.set(x, o); o += x.length; }
    return { src: s.src, dst: s.dst, bytes };
  });
}

export interface Conversation { client: string; server: string; requests: GiopMessage[]; replies: GiopMessage[] }

/** Every client→server stream paired with its reverse, both split into messages. */
export function conversations(file: string): Conversation[] {
  const streams = tcpStreams(file);
  const out: Conversation[] = [];
  for (const s of streams) {
    const back = streams.find((x) => x.src === s.dst && x.dst === s.src);
    const reqs = new GiopStreamParser().push(s.bytes);
    if (reqs.length === 0 || reqs[0].header.type !== 0) continue; // keep client→server directions only
    out.push({ client: s.src, server: s.dst, requests: reqs, replies: back ? new GiopStreamParser().push(back.bytes) : [] });
  }
  return out;
}

/** Raw (un-reassembled) messages of one stream, for fragment tests. */
export function rawMessages(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p + 12 <= bytes.length) {
    const le = (bytes[p + 6] & 1) === 1;
    const size = new DataView(bytes.buffer, bytes.byteOffset + p + 8, 4).getUint32(0, le);
    out.push(bytes.subarray(p, p + 12 + size));
    p += 12 + size;
  }
  return out;
}
