// The version table (src/versions.ts) that picks the symbols and struct layouts differing between
// HDF5 series, and the loaded library against it: a series the table does not know must fail
// here, loudly, rather than be guessed (a wrong struct layout is silent memory corruption).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LIBVER, VERSION_TABLE, traitsFor } from '../src/versions.js';
import { hdf5, unavailableReason } from '../src/lib.js';

test('the table: 1.10 binds H5Lget_info (H5L_info_t), 1.12 and 1.14 H5Lget_info2 (H5L_info2_t); LATEST per series', () => {
  assert.deepEqual([...VERSION_TABLE.keys()], ['1.10', '1.12', '1.14']);
  const t110 = traitsFor([1, 10, 8]);
  assert.deepEqual(t110.linkInfo, { symbol: 'H5Lget_info', size: 32, type: 0, valSize: 24 });
  assert.equal(t110.libverLatest, LIBVER.v110);
  const t112 = traitsFor([1, 12, 2]);
  assert.deepEqual(t112.linkInfo, { symbol: 'H5Lget_info2', size: 40, type: 0, valSize: 24 });
  assert.equal(t112.libverLatest, LIBVER.v112);
  const t114 = traitsFor([1, 14, 6]);
  assert.deepEqual(t114.linkInfo, t112.linkInfo);
  assert.equal(t114.libverLatest, LIBVER.v114);
  // any release of a known series
  assert.equal(traitsFor([1, 10, 0]).series, '1.10');
  assert.equal(traitsFor([1, 14, 99]).series, '1.14');
  assert.deepEqual(LIBVER, { v18: 1, v110: 2, v112: 3, v114: 4 });
});

test('the table refuses what it does not know, naming the version and the file', () => {
  assert.throws(() => traitsFor([1, 8, 23], '/opt/old/libhdf5.so'), /^Error: \/opt\/old\/libhdf5\.so is HDF5 1\.8\.23; the native sink needs HDF5 1\.10 or newer/);
  // odd minors were development series; later ones, and another major, have not been checked
  for (const v of [[1, 13, 0], [1, 11, 6], [1, 16, 0], [2, 0, 0], [0, 0, 0]] as const) {
    assert.throws(() => traitsFor(v), new RegExp(`HDF5 ${v.join('\\.')};.*(has not been checked against that series|needs HDF5 1\\.10).*binds HDF5 1\\.10, 1\\.12, 1\\.14`));
  }
});

test('the loaded library is a series of the table, with that series\' traits', (t) => {
  const why = unavailableReason();
  // a refusal by version is a failure here, whatever else is skipped: the site's library is not covered
  if (why !== null) assert.doesNotMatch(why, /is HDF5 \d/, `the HDF5 library was refused by version: ${why}`);
  // NXSW_HDF5_LIB names the library under test: it must load
  if (process.env['NXSW_HDF5_LIB']) assert.equal(why, null, `NXSW_HDF5_LIB=${process.env['NXSW_HDF5_LIB']} does not load: ${why}`);
  if (why !== null) {
    if (process.env['CI'] === 'true') assert.fail(`the system HDF5 library does not load under CI: ${why}`);
    t.skip(`no HDF5 library: ${why}`);
    return;
  }
  const h5 = hdf5();
  const [maj, min] = h5.versionNumbers;
  assert.ok(VERSION_TABLE.has(`${maj}.${min}`), `HDF5 ${h5.version} (${h5.file}) is not in the version table`);
  assert.equal(h5.traits, traitsFor(h5.versionNumbers));
  t.diagnostic(`HDF5 ${h5.version} from ${h5.file}: ${h5.traits.linkInfo.symbol}`);
});
