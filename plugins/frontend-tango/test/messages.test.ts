// Every error message the server can produce reaches a PyTango client as a DevFailed — never as a
// MARSHAL exception, also when it holds characters outside Latin-1 (Tango's string encoding) —
// and the writer's Errors attribute stays readable after such errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevState, DeviceServer, CmdArgType, type TangoDevice } from '@nxsw/tango-wire/server';
import { transliterateLatin1 } from '@nxsw/tango-wire';
import { serviceSkip } from '@nxsw/core/testkit';
import { REPO_ROOT, XML_C1, havePyTango, py, startServer, testKernel } from './helpers.js';

const skip = serviceSkip('PyTango', havePyTango(), 'apt-get install python3-tango');

/** what stands for each ${...} of a message: characters of Latin-1 and beyond it */
const SAMPLE = 'é—→😀';

/** Reads the string or template literal starting at src[i]; ${...} parts become SAMPLE. */
function readLiteral(src: string, i: number): { text: string; end: number } {
  const quote = src[i]!;
  let text = '';
  let j = i + 1;
  while (j < src.length && src[j] !== quote) {
    if (src[j] === '\\') {
      text += src[j + 1];
      j += 2;
    } else if (quote === '`' && src.startsWith('${', j)) {
      // skip the expression, nested template literals included
      let depth = 1;
      j += 2;
      while (depth > 0 && j < src.length) {
        if (src[j] === '`') j = readLiteral(src, j).end;
        else {
          if (src[j] === '{') depth++;
          else if (src[j] === '}') depth--;
          j++;
        }
      }
      text += SAMPLE;
    } else text += src[j++];
  }
  return { text, end: j + 1 };
}

/** The message texts of every error the server's packages construct, with their reasons. */
function serverMessages(): Array<{ reason: string; text: string; where: string }> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.ts')) files.push(p);
    }
  };
  for (const top of ['core/src', 'packages/tango-wire/src', ...readdirSync(join(REPO_ROOT, 'plugins')).map((p) => `plugins/${p}/src`)]) walk(join(REPO_ROOT, top));
  const starts = /new (?:NxswError|ConfigError|TangoDevFailedError)\(\s*'(\w+)',\s*|devError\(\s*'(\w+)',\s*|ctx\.fail\(\s*\w+,\s*()|throw bad\(\s*()|limitError\(\s*()/g;
  const out: Array<{ reason: string; text: string; where: string }> = [];
  for (const f of files) {
    const src = readFileSync(f, 'utf8');
    for (const m of src.matchAll(starts)) {
      const at = m.index + m[0].length;
      if (!['`', "'"].includes(src[at]!)) continue; // a message built elsewhere
      out.push({ reason: m[1] ?? m[2] ?? 'CONFIG_INVALID', text: readLiteral(src, at).text, where: `${f.slice(REPO_ROOT.length + 1)}` });
    }
  }
  return out;
}

test('every error message of the sources arrives as a DevFailed, transliterated to Latin-1', { skip, timeout: 120_000 }, async () => {
  const messages = serverMessages();
  assert.ok(messages.length > 150, `found ${messages.length} messages`);
  assert.ok(messages.some((m) => m.text.includes('—')) && messages.some((m) => m.text.includes('→')), 'the known non-Latin-1 messages are among them');
  const device: TangoDevice = {
    name: `test/messages/${process.pid}`,
    className: 'Messages',
    state: () => DevState.ON,
    status: () => 'ok',
    attributes: () => [{ name: 'Errors', type: CmdArgType.DevString, format: 'spectrum', maxDimX: 100_000, read: () => messages.map((m) => m.text) }],
    commands: () => [{
      name: 'Fail', in: CmdArgType.DevLong, out: CmdArgType.DevVoid,
      execute: (i) => {
        const m = messages[Number(i)]!;
        throw Object.assign(new Error(m.text), { code: m.reason });
      },
    }],
  };
  const server = new DeviceServer({ serverName: `Messages/${process.pid}`, listenHost: '127.0.0.1', port: 0 });
  server.add(device);
  await server.listen();
  try {
    const expected = messages.map((m) => ({ reason: m.reason, desc: transliterateLatin1(m.text) }));
    const out = await py(`tango://127.0.0.1:${server.port}/${device.name}#dbase=no`, `
expected = json.loads(${JSON.stringify(JSON.stringify(expected))})
wrong = []
for i, e in enumerate(expected):
    try:
        dev.command_inout("Fail", i)
        wrong.append([i, "no error"])
    except tango.DevFailed as f:
        if f.args[0].reason != e["reason"] or f.args[0].desc != e["desc"]:
            wrong.append([i, f.args[0].reason, f.args[0].desc])
    except Exception as x:
        wrong.append([i, type(x).__name__, str(x)[:200]])
out["wrong"] = wrong
out["errors"] = list(dev.Errors)
out["state"] = st()
`);
    const wrong = out.wrong as unknown[][];
    assert.deepEqual(wrong.slice(0, 5).map((w) => [...w, messages[w[0] as number]!.where]), [], `${wrong.length} messages did not arrive as DevFailed`);
    assert.deepEqual(out.errors, expected.map((e) => e.desc));
    assert.equal(out.state, 'ON');
  } finally {
    await server.close();
  }
});

test('the writer: errors with characters beyond Latin-1 are DevFailed, and Errors stays readable', { skip, timeout: 60_000 }, async () => {
  const kernel = await testKernel();
  const name = `test/msgw/${process.pid}`;
  const srv = await startServer(kernel, ['--nodb', '--port', '0', '--listen-host', '127.0.0.1', '--device', name]);
  const dir = mkdtempSync(join(tmpdir(), 'nxsw-msg-'));
  const file = join(dir, 'm.nxs');
  try {
    const out = await py(srv.urls[0]!, `
out["reasons"] = []
out["descs"] = []
def attempt(f):
    try:
        f()
        out["reasons"].append(None)
    except tango.DevFailed as e:
        out["reasons"].append(e.args[0].reason)
        out["descs"].append(e.args[0].desc)
    except Exception as x:
        out["reasons"].append(type(x).__name__)
def xml(v):
    dev.XMLSettings = v
def json_(v):
    dev.JSONRecord = v
attempt(lambda: json_('{"data": [1]}'))
attempt(lambda: xml('<definition><group type="NXentry"><field name="f"><dimensions rank="2147483648"/></field></group></definition>'))
attempt(lambda: dev.Record('{"data": {}}'))
dev.FileName = ${JSON.stringify(file)}
dev.OpenFile()
xml('<definition><group type="NXentry"><field name="x"><datasource type="NOPE"/></field></group></definition>')
attempt(lambda: dev.OpenEntry())
out["state"] = st()
out["errors"] = list(dev.Errors)
dev.Init()
dev.XMLSettings = ${JSON.stringify(XML_C1)}
out["after"] = st()
`);
    const reasons = out.reasons as string[];
    assert.deepEqual(reasons, ['JSON_INVALID', 'LIMIT_EXCEEDED', 'WRONG_STATE', 'DATASOURCE_UNKNOWN']);
    const descs = out.descs as string[];
    assert.match(descs[0]!, /"data" must be an object of name -> value/);
    assert.match(descs[1]!, /rank 2147483648 is more than 32/);
    assert.match(descs[3]!, /unknown datasource type 'NOPE'; installed types: .* - install a plugin that provides it/);
    assert.equal(out.state, 'FAULT');
    const errors = out.errors as string[];
    assert.equal(errors.length, 1, 'the failed OpenEntry is in Errors, and Errors is readable');
    assert.match(errors[0]!, / - install a plugin/);
    assert.equal(out.after, 'ON');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await srv.stop();
    await kernel.stop();
  }
});
