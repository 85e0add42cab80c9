// The nxsw Tango server in its own process for the benchmarks (what a beamline client talks to):
// `nxsw serve --nodb` on a free port, published as 127.0.0.1.
// NXSW_BENCH_NODE_FLAGS adds node options to the server process only, e.g.
// NXSW_BENCH_NODE_FLAGS='--cpu-prof --cpu-prof-dir=/tmp/prof' or '--trace-gc'.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** Starts the server with one device; resolves with its port and a stop function. */
export async function startNodbServer(root, device, extra = []) {
  const nodeFlags = (process.env.NXSW_BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const server = spawn(process.execPath, [...nodeFlags, '--no-node-snapshot', join(root, 'core/dist/src/cli/main.js'), 'serve', '--nodb', '--port', '0', '--device', device, '--publish-host', '127.0.0.1', ...extra],
    { cwd: root, stdio: ['ignore', nodeFlags.length ? 'inherit' : 'ignore', 'pipe'] });
  try {
    const port = await new Promise((resolve, reject) => {
      let text = '';
      server.stderr.on('data', (b) => {
        text += b;
        const m = /listening on port (\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      server.on('exit', (code) => reject(new Error(`server exited (${code}): ${text}`)));
    });
    return { port, stop: () => server.kill('SIGTERM') };
  } catch (e) {
    server.kill('SIGKILL');
    throw e;
  }
}
