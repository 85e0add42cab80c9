// Long work on one device — a large XMLSettings, an OpenEntry creating thousands of objects — does
// not stall the other devices of the same server: they answer State throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { h5get, haveH5py, readWithH5py, serviceSkip } from '@nxsw/core/testkit';
import { havePyTango, py, serverPerFile } from './helpers.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
const BUSY = `test/busy/${process.pid}`;
const OTHER = `test/other/${process.pid}`;
const fx = serverPerFile(skip, { tmpPrefix: 'nxsw-resp-', args: ['--nodb', '--port', '0', '--listen-host', '127.0.0.1', '--device', BUSY, '--device', OTHER, '--max-message-size', String(64 << 20)] });
before(fx.setUp);
after(fx.tearDown);

/**
 * Runs `work` (Python, on the busy device `busy`) in a thread while the main thread reads the
 * other device's State; returns how long the work took and the slowest State answer (seconds).
 */
function stateDuring(work: string): Promise<{ took: number; slowest: number; reads: number; error: string | null }> {
  const [busyUrl, otherUrl] = fx.server.urls;
  return py(otherUrl!, `
import threading
busy = tango.DeviceProxy(${JSON.stringify(busyUrl)})
busy.set_timeout_millis(120000)
res = {"error": None}
def work():
    t = time.time()
    try:
${work.trim().split('\n').map((l) => `        ${l}`).join('\n')}
    except Exception as e:
        res["error"] = str(e)[:300]
    res["took"] = time.time() - t
th = threading.Thread(target=work)
th.start()
slowest = 0
reads = 0
time.sleep(0.05)
while th.is_alive():
    t = time.time()
    st()
    slowest = max(slowest, time.time() - t)
    reads += 1
    time.sleep(0.01)
th.join()
out.update(took=res["took"], slowest=slowest, reads=reads, error=res["error"])
`, process.env, 180_000) as Promise<{ took: number; slowest: number; reads: number; error: string | null }>;
}

test('a device answers State while another parses a 24 MB XMLSettings', { skip, timeout: 180_000 }, async () => {
  const xml = `<definition><group type="NXentry" name="entry1"><field name="big" type="NX_INT"><dimensions rank="1"/>${'12345 '.repeat(4_000_000)}</field></group></definition>`;
  const path = join(fx.dir, 'big.xml');
  writeFileSync(path, xml);
  const r = await stateDuring(`busy.XMLSettings = open(${JSON.stringify(path)}).read()`);
  assert.equal(r.error, null);
  // before: the whole parse ran in one piece and State waited for all of it
  assert.ok(r.slowest < r.took / 2, `slowest State ${r.slowest.toFixed(3)} s while XMLSettings took ${r.took.toFixed(3)} s (${r.reads} reads)`);
});

test('a device answers State while another creates 3 000 fields at OpenEntry', { skip, timeout: 180_000 }, async () => {
  const xml = `<definition><group type="NXentry" name="entry1">${Array.from({ length: 3000 }, (_, i) => `<field name="f${i}" type="NX_INT">${i}</field>`).join('')}</group></definition>`;
  const file = join(fx.dir, 'many.nxs');
  const path = join(fx.dir, 'many.xml');
  writeFileSync(path, xml);
  const r = await stateDuring(`
busy.FileName = ${JSON.stringify(file)}
busy.OpenFile()
busy.XMLSettings = open(${JSON.stringify(path)}).read()
busy.OpenEntry()
busy.CloseEntry()
busy.CloseFile()`);
  assert.equal(r.error, null);
  assert.ok(r.slowest < r.took / 2, `slowest State ${r.slowest.toFixed(3)} s while the entry took ${r.took.toFixed(3)} s (${r.reads} reads)`);
  assert.deepEqual(h5get(readWithH5py(file), 'entry1/f2999').value, [2999]);
});
