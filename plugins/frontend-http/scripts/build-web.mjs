#!/usr/bin/env node
// Bundles web/h5web.ts (H5Web's app, React) into dist/web/h5web.js and .css: built, never committed.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: [join(here, 'web', 'h5web.ts')],
  outdir: join(here, 'dist', 'web'),
  bundle: true,
  format: 'esm',
  minify: true,
  target: 'es2022',
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
});
