#!/usr/bin/env bash
# Runs the native HDF5 sink's tests, and the end-to-end files that lean on it most, against one
# libhdf5: ./scripts/test-hdf5-version.sh /opt/hdf5-1.14/lib/libhdf5.so [more test files]
# (after `npm run build`). The library must load and be a series the sink knows
# (plugins/sink-hdf5-native/src/versions.ts), else this stops before any test: with a library
# that does not load, the end-to-end files would quietly fall back to the h5wasm sink.
# HDF5_PLUGIN_PATH is passed through: filter plugins built against another HDF5 series may not
# load (see plugins/sink-hdf5-native/README.md, "HDF5 versions").
set -euo pipefail
cd "$(dirname "$0")/.."
lib=${1:?usage: $0 /path/to/libhdf5.so [test files...]}
shift
[ -f "$lib" ] || { echo "$lib: no such file" >&2; exit 2; }
export NXSW_HDF5_LIB=$lib
node --no-node-snapshot --input-type=module -e "
  const { hdf5, unavailableReason } = await import('./plugins/sink-hdf5-native/dist/src/lib.js');
  const why = unavailableReason();
  if (why) { console.error('the native sink does not load ' + process.env.NXSW_HDF5_LIB + ': ' + why); process.exit(1); }
  const h5 = hdf5();
  console.log('HDF5 ' + h5.version + ' from ' + h5.file + ' (series ' + h5.traits.series + ', ' + h5.traits.linkInfo.symbol + ')');
"
files=(plugins/sink-hdf5-native/dist/test/*.test.js e2e/dist/test/reference-cases.test.js e2e/dist/test/python.test.js e2e/dist/test/nxdl.test.js "$@")
exec node --no-node-snapshot --test --test-reporter=spec "${files[@]}"
