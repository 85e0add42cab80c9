#!/usr/bin/env -S node --no-node-snapshot
// The `nxsw` command. It lives outside dist/ so that it exists when `npm ci` links package
// binaries into node_modules/.bin, which happens before the build; it runs the built CLI.
import('../dist/src/cli/main.js').catch((e) => {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('cli/main.js')) {
    process.stderr.write('nxsw: the command line is not built yet: run `npm run build` (or ./scripts/setup.sh) in the repository\n');
  } else {
    process.stderr.write(`nxsw: ${e?.stack ?? e}\n`);
  }
  process.exitCode = 1;
});
