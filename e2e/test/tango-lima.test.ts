// LIMA_VIDEO_IMAGE from a device that forwards images with frame number -1 (as emulating or
// forwarding devices do): a PyTango device server without a database serves the DevEncoded
// attribute, nxsw reads it through a TANGO source, h5py reads the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { havePyTango, runPyTango, startPyTangoServer } from '@nxsw/tango-wire/testkit';
import { runScan, tempDir } from './scan.js';

const skip = serviceSkip('PyTango and h5py', havePyTango() && haveH5py(), 'apt-get install python3-tango python3-h5py');
const DEVICE = `test/nxswlima/${process.pid}`;

/** a device whose video_last_image is a 3×2 Y16 image with frame number -1 */
const SERVER = `
import struct
from tango import DevEncoded
from tango.server import Device, attribute, run

class ForwardedLima(Device):
    @attribute(dtype=DevEncoded)
    def video_last_image(self):
        header = struct.pack('>IHHqiiHHHH', 0x5644454f, 1, 1, -1, 3, 2, 0, 32, 0, 0)
        return 'VIDEO_IMAGE', header + struct.pack('<6H', 1, 2, 3, 256, 513, 65535)

if __name__ == '__main__':
    run((ForwardedLima,))
`;

let server: { url: string; stop(): void } | undefined;
let url = '';
let dir: { dir: string; cleanup(): void } | undefined;

before(async () => {
  if (skip) return;
  dir = tempDir();
  server = await startPyTangoServer(dir.dir, 'ForwardedLima', SERVER, DEVICE);
  url = server.url;
});

after(() => {
  server?.stop();
  dir?.cleanup();
});

test('a VIDEO_IMAGE with frame number -1 is decoded and written, as the reference does', { skip, timeout: 60_000 }, async () => {
  // PyTango sees the header as the device sends it
  const frame = runPyTango<number>(`import struct\nfmt, data = tango.DeviceProxy(${JSON.stringify(url)}).read_attribute('video_last_image').value\nout = struct.unpack('>q', bytes(data)[8:16])[0]`, null);
  assert.equal(frame, -1);
  const file = join(dir!.dir, 'lima.nxs');
  const { recordErrors } = await runScan({
    fileName: file,
    xml: `<definition><group type="NXentry" name="entry"><group type="NXdetector" name="lima">
      <field name="image" type="NX_UINT16"><dimensions rank="2"/><strategy mode="STEP"/>
        <datasource type="TANGO"><device name="${url}" member="attribute" encoding="LIMA_VIDEO_IMAGE"/><record name="video_last_image"/></datasource></field>
    </group></group></definition>`,
    records: [{}, {}],
  });
  assert.deepEqual(recordErrors, []);
  const image = h5get(readWithH5py(file), 'entry/lima/image');
  assert.equal(image.dtype, 'uint16');
  assert.deepEqual(image.value, [[[1, 2, 3], [256, 513, 65535]], [[1, 2, 3], [256, 513, 65535]]]);
  assert.equal(image.attrs.nexdatas_canfail, undefined);
});
