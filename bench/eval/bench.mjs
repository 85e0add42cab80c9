// µs per EVAL evaluation: the session isolate (plugins/source-json, isolated-vm) next to the
// node:vm path it replaced (kept here only as the baseline: compile once, runInContext with a
// time limit, structuredClone of the result), same scripts, same inputs, same run.
// Usage: node bench/eval/bench.mjs [evaluations]   (after `npx tsc -b plugins/source-json`)
import vm from 'node:vm';
import { spawnSync } from 'node:child_process';
import { parseXml, valueFromJs, valueToJs, scalar } from '../../core/dist/src/index.js';

if (!process.execArgv.includes('--no-node-snapshot')) {
  // isolated-vm needs Node's own startup snapshot off (see docs/security.md)
  const r = spawnSync(process.execPath, ['--no-node-snapshot', ...process.execArgv, new URL(import.meta.url).pathname, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const { EvalSourceType } = await import('../../plugins/source-json/dist/src/index.js');

const N = Number(process.argv[2] ?? 5000);
const LIMITS = { timeoutMs: 1000, memoryMb: 64, maxResultElements: 1 << 20 };
const ctx = (shared, step) => ({ phase: 'STEP', step, globalJson: {}, localJson: undefined, signal: new AbortController().signal, shared, file: undefined, decoder: () => { throw new Error('none'); } });

/** the inputs every case reads: two scalars and a 1000-point spectrum */
const INPUTS = {
  position: scalar('float64', 10.5),
  shift: scalar('float64', 2),
  spectrum: { type: 'float64', shape: [1000], data: Float64Array.from({ length: 1000 }, (_, i) => i / 7) },
};
const fixed = (v) => ({ describe: () => 'fixed', read: async () => v });
const env = { createSource: (el) => fixed(INPUTS[el.attributes.name]) };

const CASES = [
  ['scalar arithmetic (2 inputs)', 'ds.result = ds.position + ds.shift'],
  ['common block counter', 'commonblock.n = (commonblock.n || 0) + 1; ds.result = [commonblock.__counter__, commonblock.n]'],
  ['spectrum of 1000 in, 1000 out', 'ds.result = ds.spectrum.map((v) => v * 2)'],
];

const xmlOf = (code) => `<datasource type="EVAL">${Object.keys(INPUTS).map((n) => `<datasource type="F" name="${n}"/>`).join('')}<result name="result">${code}</result></datasource>`;

/** the replaced path, as it was: one node:vm context per source, host values handed in */
function oldSource(code) {
  const script = new vm.Script(code);
  const context = vm.createContext(Object.create(null), { codeGeneration: { strings: false, wasm: false } });
  const names = Object.keys(INPUTS).filter((n) => code.includes(n));
  return {
    async read(c) {
      const ds = Object.create(null);
      const values = await Promise.all(names.map((n) => env.createSource({ attributes: { name: n } }).read(c)));
      names.forEach((n, k) => { ds[n] = valueToJs(values[k]); });
      context.ds = ds;
      let block = c.shared.get('commonblock');
      if (!block) c.shared.set('commonblock', (block = {}));
      block.__counter__ = c.step;
      context.commonblock = block;
      script.runInContext(context, { timeout: LIMITS.timeoutMs });
      return valueFromJs(structuredClone(ds.result));
    },
  };
}

async function perEval(source) {
  const shared = new Map();
  for (let i = 0; i < Math.min(200, N); i++) await source.read(ctx(shared, i + 1)); // warm-up (and the isolate)
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await source.read(ctx(shared, i + 1));
  return ((performance.now() - t0) / N) * 1000;
}

const type = new EvalSourceType('EVAL', LIMITS);
const rows = [];
for (const [label, code] of CASES) {
  const old = await perEval(oldSource(code));
  const isolate = await perEval(type.create(parseXml(xmlOf(code)), env));
  rows.push({ case: label, 'node:vm µs': old.toFixed(1), 'isolate µs': isolate.toFixed(1), ratio: (isolate / old).toFixed(2) });
}
await type.dispose();
console.log(`EVAL, ${N} evaluations per case, one session (the isolate is reused across evaluations)`);
console.table(rows);
