#!/usr/bin/env bash
# Sets up a fresh Debian machine for nxsw: the Debian packages the tests use as independent peers
# (h5py, HDF5 tools, PyTango, the Python modules nxstools needs to make the reference's SciCat
# metadata, numpy for PYEVAL's tests), the npm packages, and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# python3-h5py brings the distribution's HDF5 runtime library (libhdf5-103-1 on Debian 12), which
# the native HDF5 sink loads at run time through koffi (nothing is compiled at install);
# hdf5-filter-plugin puts LZ4 and BZip2 filters on HDF5's plugin path (filters by id in tests)
need=()
# chromium: the live view's browser tests (playwright-core drives Debian's Chromium)
# g++ and make: node-gyp builds the native npm packages (isolated-vm, better-sqlite3) from source
# python3-taurus: the Tango front end's Taurus test (Sardana's client library, with PyQt5 for a
# TaurusForm drawn offscreen); about 250 packages and 95 MB, some 3 minutes to install
for pkg in python3-h5py python3-numpy hdf5-tools python3-tango hdf5-filter-plugin g++ make python3-tz python3-dateutil python3-lxml python3-yaml chromium python3-taurus; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  echo "setup: installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund --loglevel=error
echo "setup: build (TypeScript, and the live view's H5Web bundle)"
npm run build --silent
echo "setup: done"
