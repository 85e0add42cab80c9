import { Hdf5SinkFactory } from '../../../plugins/sink-hdf5/dist/src/index.js';
import fs from 'node:fs';
const fn = '/tmp/smoke.nxs';
for (const f of [fn, fn + '.lock']) try { fs.unlinkSync(f) } catch {}
const fac = new Hdf5SinkFactory();
const f = await fac.open(fn, { mode: 'create' });
const e = f.root.createGroup('entry');
e.setAttribute('NX_class', { type: 'string', shape: [], data: ['NXentry'] });
const b = e.createField('flag', { type: 'bool', shape: [0], recordAxis: 0 });
b.setAttribute('units', { type: 'string', shape: [], data: ['none'] });
const c = e.createField('counts', { type: 'float64', shape: [0], recordAxis: 0, filters: [{ id: 2 }, { id: 1, cdValues: [5] }] });
const s = e.createField('names', { type: 'string', shape: [0], recordAxis: 0 });
const t = e.createField('title', { type: 'string', shape: [], scalar: true });
t.write({ type: 'string', shape: [], data: ['Ünïcødé ✓'] });
const img = e.createField('img', { type: 'uint16', shape: [2, 3, 0], recordAxis: 2 });
for (let i = 0; i < 5; i++) {
  b.append({ type: 'bool', shape: [1], data: new Uint8Array([i % 2]) });
  c.append({ type: 'float64', shape: [1], data: new Float64Array([i * 1.5]) });
  s.append({ type: 'string', shape: [1], data: ['row' + i] });
  img.append({ type: 'uint16', shape: [1, 2, 3], data: new Uint16Array([1,2,3,4,5,6].map(x => x + 10 * i)) });
  f.flush();
}
e.createSoftLink('/entry/counts', 'data');
e.createSoftLink('/nowhere', 'dangling');
console.log(c.shape, img.shape, e.keys(), e.getAttribute('NX_class'), f.libraryVersion);
f.close();
console.log(fs.existsSync(fn + '.lock'));
