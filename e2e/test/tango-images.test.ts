// The reference's T11 without the bitshuffle plugin: TangoTest images recorded into STEP fields
// with grows 1, 2 and 3, compressed, plus INIT and FINAL image fields; checked with h5py.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readWithH5py, h5get, haveH5py, serviceSkip } from '@nxsw/core/testkit';
import { tangoStackUp } from '@nxsw/tango-wire/testkit';
import { runScan, tempDir } from './scan.js';

const skip = serviceSkip('h5py', haveH5py(), 'apt-get install python3-h5py')
  || serviceSkip('the Tango stack', await tangoStackUp(), 'scripts/tango-stack.sh start');

const source = (attr: string) => `<datasource type="TANGO"><device name="sys/tg_test/1" member="attribute"/><record name="${attr}"/></datasource>`;
const field = (name: string, type: string, attr: string, strategy: string) =>
  `<field name="${name}" type="${type}"><dimensions rank="2"/><strategy ${strategy}/>${source(attr)}</field>`;

test('T11: Tango images with grows 1/2/3, deflate and a filter pipeline; INIT and FINAL images', { skip, timeout: 60_000 }, async () => {
  const t = tempDir();
  try {
    const file = join(t.dir, 'images.nxs');
    const xml = `<definition><group type="NXentry" name="entry1"><group type="NXdetector" name="detector">
      ${field('g1', 'NX_UINT16', 'ushort_image_ro', 'mode="STEP" grows="1" compression="true" rate="3"')}
      ${field('g2', 'NX_FLOAT64', 'double_image_ro', 'mode="STEP" grows="2"')}
      <field name="g3" type="NX_INT32"><dimensions rank="2"/><strategy mode="STEP" grows="3"><filter index="0" name="shuffle"/><filter index="1" name="deflate" cd_values="4"/></strategy>${source('long_image_ro')}</field>
      ${field('init', 'NX_FLOAT32', 'float_image_ro', 'mode="INIT"')}
      ${field('final', 'NX_FLOAT32', 'float_image_ro', 'mode="FINAL"')}
    </group></group></definition>`;
    await runScan({ xml, fileName: file, records: [{}, {}, {}] });
    const d = h5get(readWithH5py(file), 'entry1/detector');
    const [h, w] = [251, 251];
    const g1 = h5get(d, 'g1');
    assert.equal(g1.dtype, 'uint16');
    assert.deepEqual(g1.shape, [3, h, w]);
    assert.equal(g1.compression, 'gzip');
    const g2 = h5get(d, 'g2');
    assert.equal(g2.dtype, 'float64');
    assert.deepEqual(g2.shape, [h, 3, w]);
    const g3 = h5get(d, 'g3');
    assert.equal(g3.dtype, 'int32');
    assert.deepEqual(g3.shape, [h, w, 3]);
    assert.deepEqual(g3.filters, [2, 1]);
    for (const n of ['init', 'final']) {
      assert.equal(h5get(d, n).dtype, 'float32');
      assert.deepEqual(h5get(d, n).shape, [h, w]);
    }
    assert.match(String(h5get(d, 'g1').attrs.nexdatas_source!.value), /<device name="sys\/tg_test\/1" member="attribute"><\/device><record name="ushort_image_ro"><\/record>/);
  } finally {
    t.cleanup();
  }
});
