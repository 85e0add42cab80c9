#!/usr/bin/env bash
# Sets up a fresh Debian machine for nxsw: the Debian packages the tests use as independent peers
# (h5py, HDF5 tools, PyTango), what PYEVAL's tests need beside them (numpy, and pytz for the
# reference nxstools), the npm packages, and the build. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in python3-h5py python3-numpy python3-tz hdf5-tools python3-tango; do
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
echo "setup: build"
npx tsc -b
chmod +x core/dist/src/cli/main.js
echo "setup: done"
