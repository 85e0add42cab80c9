// The fuzz corpus (test/fixtures/fuzz): hostile XML configurations, JSON records and GIOP
// messages, replayed against a running server. Each case gets its expected answer (a DevFailed
// with a clear, located message, or acceptance); afterwards another device still answers and the
// file a writer keeps open is readable by h5py up to its last Record.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { h5get, haveH5py, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { CdrReader, LocateStatus, MsgType, ReplyStatus, readLocateReply, readReplyHeader, type GiopMessage } from '@nxsw/tango-wire';
import { REPO_ROOT, XML_C1, exchange, havePyTango, py, startServer, testKernel } from './helpers.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
const FIXTURES = join(REPO_ROOT, 'plugins/frontend-tango/test/fixtures/fuzz');
const [WRITER, CONFIG, WITNESS] = ['fuzz/corpus/writer', 'fuzz/corpus/config', 'fuzz/corpus/witness'];

/** {{repeat N}}body{{/repeat}}: body N times, {{i}} counting from 0 and {{n}} from 1 */
function expand(text: string): string {
  return text.replace(/\{\{repeat (\d+)\}\}([\s\S]*?)\{\{\/repeat\}\}/g, (_, n: string, body: string) =>
    Array.from({ length: Number(n) }, (_, i) => body.replaceAll('{{i}}', String(i)).replaceAll('{{n}}', String(i + 1))).join(''));
}

type Expected = [reason: string, pattern: string] | null;

/** the cases of one corpus directory, expanded into files under `out` (latin-1, as a Tango client sends text) */
function corpus(kind: 'xml' | 'json', out: string): Array<{ name: string; path: string; expected: Expected }> {
  const dir = join(FIXTURES, kind);
  const { cases } = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as { cases: Record<string, Expected> };
  const files = readdirSync(dir).filter((f) => f.endsWith(`.${kind}`) && f !== 'expect.json').sort();
  assert.deepEqual(files, Object.keys(cases).sort(), `every ${kind} case has an expectation in expect.json`);
  return files.map((name) => {
    const path = join(out, name);
    writeFileSync(path, expand(readFileSync(join(dir, name), 'latin1')), 'latin1');
    return { name, path, expected: cases[name]! };
  });
}

function checkAnswers(cases: ReturnType<typeof corpus>, answers: Array<[string | null, string]>, what: string): void {
  cases.forEach((c, i) => {
    const [reason, desc] = answers[i]!;
    if (c.expected === null) assert.equal(reason, null, `${what} ${c.name} is accepted (got ${reason}: ${desc})`);
    else {
      assert.equal(reason, c.expected[0], `${what} ${c.name}: ${desc}`);
      assert.match(desc, new RegExp(c.expected[1]), `${what} ${c.name}`);
    }
  });
}

test('XML and JSON corpus: each case its clear answer; the server alive; the open file readable', { skip, timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-corpus-'));
  const kernel = await testKernel();
  const srv = await startServer(kernel, ['--nodb', '--port', '0', '--listen-host', '127.0.0.1', '--device', WRITER, '--device', CONFIG, '--device', WITNESS, '--limit', 'jsonBytes=4194304']);
  try {
    const xml = corpus('xml', dir);
    const json = corpus('json', dir);
    const [writerUrl, , witnessUrl] = srv.urls;
    const file = join(dir, 'open.nxs');
    const out = await py(srv.urls[1]!, `
writer = tango.DeviceProxy(${JSON.stringify(writerUrl)})
witness = tango.DeviceProxy(${JSON.stringify(witnessUrl)})
for d in (dev, writer):
    d.set_timeout_millis(60000)
writer.CanFail = True
writer.FileName = ${JSON.stringify(file)}
writer.OpenFile(); writer.XMLSettings = ${JSON.stringify(XML_C1)}; writer.OpenEntry()
records = 0
def record(arg):
    global records
    writer.Record(arg)
    records += 1
record('{"data": {"c1": 1.0}}')
def answer(f):
    try:
        f()
        return [None, ""]
    except tango.DevFailed as e:
        return [e.args[0].reason, e.args[0].desc]
def text(path):
    return open(path, encoding="latin-1").read()
def write_xml(path):
    dev.XMLSettings = text(path)
def write_json(path):
    dev.JSONRecord = text(path)
out["xml"] = []
out["alive"] = []
for p in ${JSON.stringify(xml.map((c) => c.path))}:
    out["xml"].append(answer(lambda: write_xml(p)))
    if dev.state() == tango.DevState.FAULT:
        dev.Init()
    out["alive"].append(str(witness.state()))
    record('{"data": {"c1": %d.0}}' % (records + 1))
out["json"] = []
out["json_as_record"] = []
for p in ${JSON.stringify(json.map((c) => c.path))}:
    a = answer(lambda: write_json(p))
    out["json"].append(a)
    if a[0] is None:
        # an accepted record also goes to Record; CanFail makes odd values canfail fills, not faults
        out["json_as_record"].append(answer(lambda: record(text(p))))
    out["alive"].append(str(witness.state()))
out["good_records"] = records
record('{"data": {"c1": %d.0}}' % (records + 1))
out["last"] = answer(lambda: writer.Record(text(${JSON.stringify(json.find((c) => c.name === 'arrays-100000-deep.json')!.path)})))
out["writer"] = str(writer.state())
out["witness"] = str(witness.state())
`, process.env, 280_000);
    checkAnswers(xml, out.xml as Array<[string | null, string]>, 'XMLSettings');
    checkAnswers(json, out.json as Array<[string | null, string]>, 'JSONRecord');
    assert.deepEqual(out.json_as_record, json.filter((c) => c.expected === null).map(() => [null, '']), 'accepted records are written (values or canfail fills)');
    assert.ok((out.alive as string[]).every((s) => s === 'ON'), 'another device answered after every case');
    assert.deepEqual((out.last as string[])[0], 'LIMIT_EXCEEDED');
    assert.deepEqual([out.writer, out.witness], ['FAULT', 'ON']);
    // the writer's file is still open (and HDF5-locked): h5py, as a live viewer without locking, reads it up to the last Record
    const c1 = h5get(readWithH5py(file, { unlocked: true }), 'entry1/c1').value as number[];
    const records = (out.good_records as number) + 1;
    assert.equal(c1.length, records);
    for (let i = 0; i <= xml.length; i++) assert.equal(c1[i], i + 1, `the good record ${i + 1} is in the file`);
    assert.equal(c1.at(-1), records);
  } finally {
    await srv.stop();
    await kernel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** a GIOP case: comment lines (# expect: …), then messages in hex separated by ---; "Nx HEX" repeats one */
function giopCase(text: string): { expect: string; bytes: Uint8Array } {
  const expect = /^# expect: (.+)$/m.exec(text)?.[1]?.trim();
  assert.ok(expect, 'a GIOP case names what it expects');
  const parts = text.split('\n').filter((l) => !l.startsWith('#')).join('\n').split('---').map((p) => {
    const rep = /^\s*(\d+)x\s+/.exec(p);
    const hex = p.replace(/^\s*\d+x\s+/, '').replace(/\s+/g, '');
    return Buffer.from(hex.repeat(rep ? Number(rep[1]) : 1), 'hex');
  });
  return { expect, bytes: new Uint8Array(Buffer.concat(parts)) };
}

/** what the server answered, in the words of the fixtures' "expect:" lines */
function outcome(r: { messages: GiopMessage[]; closed: boolean }): string {
  const m = r.messages;
  if (m.some((x) => x.header.type === MsgType.MessageError)) return 'MessageError';
  if (m.length === 0) return r.closed ? 'closed' : 'silence';
  const words = new Set(m.map((x) => {
    if (x.header.type === MsgType.LocateReply) return `locate ${LocateStatus[readLocateReply(x.reader()).status]}`;
    if (x.header.type !== MsgType.Reply) return MsgType[x.header.type];
    return `reply ${ReplyStatus[readReplyHeader(new CdrReader(x.bytes, 12, x.header.littleEndian), x.header.minor).status]}`;
  }));
  return [...words].join(', ');
}

test('GIOP corpus: each message its expected answer; the server alive; the open file readable', { skip, timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-corpus-giop-'));
  const kernel = await testKernel();
  const srv = await startServer(kernel, ['--nodb', '--port', '0', '--listen-host', '127.0.0.1', '--device', WRITER, '--device', WITNESS, '--max-message-size', '65536']);
  try {
    const file = join(dir, 'open.nxs');
    const [writerUrl, witnessUrl] = srv.urls;
    await py(writerUrl!, `
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile(); dev.XMLSettings = ${JSON.stringify(XML_C1)}; dev.OpenEntry()
dev.Record('{"data": {"c1": 1.0}}')
`);
    const names = readdirSync(join(FIXTURES, 'giop')).filter((f) => f.endsWith('.giop')).sort();
    assert.ok(names.length >= 25, `${names.length} GIOP cases`);
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const name of names) {
      const c = giopCase(readFileSync(join(FIXTURES, 'giop', name), 'utf8'));
      want[name] = c.expect;
      const r = await exchange(srv.port, c.bytes, 300);
      assert.equal(r.unparsed, undefined, `${name}: the server's answer parses`);
      got[name] = outcome(r);
    }
    assert.deepEqual(got, want);
    const out = await py(witnessUrl!, `
writer = tango.DeviceProxy(${JSON.stringify(writerUrl)})
writer.Record('{"data": {"c1": 2.0}}')
out["witness"] = st()
out["writer"] = str(writer.state())
`);
    assert.deepEqual([out.witness, out.writer], ['ON', 'EXTRACT']);
    assert.deepEqual(h5get(readWithH5py(file, { unlocked: true }), 'entry1/c1').value, [1, 2]);
  } finally {
    await srv.stop();
    await kernel.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
