// `nxsw plugins`: every discovered plugin with its status, as a table or as JSON.
import type { Kernel } from '../kernel/kernel.js';

export function printPlugins(kernel: Kernel, json: boolean): number {
  const rows = kernel.plugins.map((p) => ({
    name: p.name, version: p.version, api: p.api, provides: p.provides, status: p.status,
    ...(p.reason ? { reason: p.reason } : {}), origin: p.origin, dir: p.dir,
  }));
  if (json) {
    process.stdout.write(`${JSON.stringify({ kernelApi: kernel.apiVersion, plugins: rows }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`nxsw kernel plugin API ${kernel.apiVersion}\n`);
  for (const r of rows) {
    const provides = r.provides.map((x) => `${x.kind}:${x.name}`).join(', ');
    process.stdout.write(`${r.status === 'loaded' ? '✔' : '✘'} ${r.name}${r.version ? `@${r.version}` : ''}  api ${r.api || '?'}  ${r.status}\n`);
    if (provides) process.stdout.write(`    provides: ${provides}\n`);
    if (r.reason) process.stdout.write(`    ${r.reason}\n`);
  }
  return 0;
}
