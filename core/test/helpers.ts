// Shared test helpers: temporary directories and throw-away plugin packages.
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'nxsw-test-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a plugin package: package.json (with the given manifest) and an entry module. */
export function writePlugin(dir: string, name: string, manifest: unknown, entrySource: string, version = '1.0.0'): string {
  const pkgDir = join(dir, name);
  mkdirSync(pkgDir, { recursive: true });
  const pkg: Record<string, unknown> = { name, version, type: 'module' };
  if (manifest !== undefined) pkg.nxsw = manifest;
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify(pkg, null, 2));
  writeFileSync(join(pkgDir, 'index.js'), entrySource);
  return pkgDir;
}

/** the @nxsw/core entry, as plugin entry modules under /tmp import it */
export const CORE_URL = new URL('../src/index.js', import.meta.url).href;

/** an entry module that provides one datasource type returning a constant */
export function constantSourceEntry(type: string, value: number): string {
  return `import { definePlugin, ConfigError } from '${CORE_URL}';
export default definePlugin({ register(ctx) {
  ctx.provide({ kind: 'datasource', name: '${type}', create(el) {
    if (!el.children.some((c) => c.name === 'record')) throw new ConfigError('DATASOURCE_CONFIG', 'needs <record>', el.location);
    return { describe: () => '${type} constant', read: async () => ({ type: 'float64', shape: [], data: new Float64Array([${value}]) }) };
  } });
} });\n`;
}
