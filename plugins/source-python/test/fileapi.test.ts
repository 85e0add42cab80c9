// __root__ and __nxroot__ against an in-memory sink: what the nxstools helpers call reaches the
// sink's group/field API, and an h5py VirtualLayout becomes the sink's VirtualFieldSpec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, silentLogger, stringValue, type ElementType, type FieldSpec, type NxValue, type ReadContext, type SinkField, type SinkFile, type SinkGroup, type VirtualFieldSpec } from '@nxsw/core';
import { SYSTEM_PYTHON } from '@nxsw/core/testkit';
import { PyEvalSourceType, PythonRuntime } from '../src/index.js';

const NXSTOOLS = '/work/shared/reference/nxstools';

class MemNode {
  readonly attrs = new Map<string, NxValue>();
  constructor(readonly path: string) {}
  setAttribute(n: string, v: NxValue) { this.attrs.set(n, v); }
  getAttribute(n: string) { return this.attrs.get(n); }
  attributeNames() { return [...this.attrs.keys()]; }
}
class MemField extends MemNode implements SinkField {
  value: NxValue | undefined;
  constructor(path: string, readonly type: ElementType, public shape: number[]) { super(path); }
  write(v: NxValue) { this.value = v; this.shape = [...v.shape]; }
  append() { throw new Error('not used'); }
  get rows() { return 0; }
}
class MemGroup extends MemNode implements SinkGroup {
  readonly children = new Map<string, MemGroup | MemField | { link: string }>();
  readonly virtual = new Map<string, VirtualFieldSpec>();
  readonly links = new Map<string, { file?: string; path: string }>();
  private child(n: string) { return `${this.path === '/' ? '' : this.path}/${n}`; }
  keys() { return [...this.children.keys()]; }
  openGroup(n: string) { const c = this.children.get(n); return c instanceof MemGroup ? c : undefined; }
  createGroup(n: string) { const g = new MemGroup(this.child(n)); this.children.set(n, g); return g; }
  openField(n: string) { const c = this.children.get(n); return c instanceof MemField ? c : undefined; }
  createField(n: string, spec: FieldSpec) { const f = new MemField(this.child(n), spec.type, [...spec.shape]); this.children.set(n, f); return f; }
  createSoftLink(target: string, n: string) { this.children.set(n, { link: target }); this.links.set(n, { path: target }); }
  createHardLink(target: string, n: string) { this.children.set(n, { link: target }); }
  createExternalLink(file: string, target: string, n: string) { this.children.set(n, { link: `${file}:${target}` }); this.links.set(n, { file, path: target }); }
  link(n: string) { return this.links.get(n); }
  createVirtualField(n: string, spec: VirtualFieldSpec) {
    this.virtual.set(n, spec);
    return this.createField(n, { type: spec.type, shape: [...spec.shape] });
  }
}

function memFile(): { file: SinkFile; det: MemGroup; root: MemGroup } {
  const root = new MemGroup('/');
  const det = root.createGroup('scan').createGroup('instrument').createGroup('lmbd');
  return { root, det, file: { path: '/data/scan_00001.nxs', root, libraryVersion: 'mem', flush() {}, close() {} } };
}

async function run(script: string, file: SinkFile, step = -2, split?: ReadContext['split']) {
  process.env.PYTHONPATH = NXSTOOLS;
  const rt = new PythonRuntime({ python: SYSTEM_PYTHON, scriptTimeoutMs: 5000, log: silentLogger, sinkName: () => "'memory'" });
  try {
    const src = new PyEvalSourceType(rt).create(parseXml(`<datasource type="PYEVAL"><result>${script}</result></datasource>`), { createSource: () => { throw new Error('no inputs'); } });
    const ctx: ReadContext = { phase: 'FINAL', step, globalJson: {}, localJson: undefined, signal: new AbortController().signal, shared: new Map(), file, split, decoder: () => { throw new Error(); } };
    return await src.read(ctx);
  } finally {
    await rt.dispose();
  }
}

test('__root__: open, create_field/write, attributes, names, links through nxstools.filewriter, FT classes are nxstools\'', async () => {
  const { file, det, root } = memFile();
  const out = await run(`
from nxstools import filewriter
root = commonblock["__root__"]
det = root.open("scan").open("instrument").open("lmbd")
fld = det.create_field("distance", "float64")
fld.write(0.5)
fld.attributes.create("units", "string").write("m")
det.create_field("mode", "string").write("fast")
det.attributes.create("NX_class", "string").write("NXdetector")
filewriter.link("/scan/instrument/lmbd/distance", det, "dist")
filewriter.link("modules/m1.nxs://entry/data", det, "m1")
links = sorted(filewriter.get_links(det), key=lambda ch: ch.name)
names = [ch.name for ch in links]
targets = [ch.target_path for ch in links]
ds.result = [str(isinstance(fld, filewriter.FTField)), str(hasattr(root, "currentfileid")), root.parent.name, root.h5object.__class__.__name__] + names + targets`, file);
  assert.deepEqual(out.data, ['True', 'True', '/data/scan_00001.nxs', 'File', 'dist', 'distance', 'm1', 'mode',
    // as nxstools' writers: "file:/" + the link's target (soft), the external file and path, an object's own path
    '/data/scan_00001.nxs://scan/instrument/lmbd/distance', '/data/scan_00001.nxs://scan/instrument/lmbd/distance',
    'modules/m1.nxs://entry/data', '/data/scan_00001.nxs://scan/instrument/lmbd/mode']);
  const distance = det.openField('distance')!;
  // as nxstools' writers: a field without a shape is [1] (a scalar written fills it); a string one is a scalar
  assert.deepEqual([distance.type, distance.shape, [...(distance.value!.data as Float64Array)]], ['float64', [1], [0.5]]);
  assert.deepEqual([det.openField('mode')!.shape, det.openField('mode')!.value!.data], [[], ['fast']]);
  assert.deepEqual(distance.getAttribute('units'), stringValue('m'));
  assert.deepEqual(det.getAttribute('NX_class'), stringValue('NXdetector'));
  assert.deepEqual(det.children.get('dist'), { link: '/scan/instrument/lmbd/distance' });
  assert.deepEqual(det.children.get('m1'), { link: 'modules/m1.nxs:/entry/data' });
  assert.ok(root.openGroup('scan'));
});

test('__nxroot__ get(name, getlink=True) is h5py\'s SoftLink(target), ExternalLink(file, path) or HardLink(), so nxstools.h5pywriter.get_links reads targets (secop.create_sample_nxdata)', async () => {
  const { file } = memFile();
  const out = await run(`
import nxstools.h5pywriter as h5w
det = commonblock["__root__"].open("scan").open("instrument").open("lmbd")
det.create_field("distance", "float64").write(0.5)
det.h5object["dist"] = __import__("h5py").SoftLink("/scan/instrument/lmbd/distance")
det.h5object["m1"] = __import__("h5py").ExternalLink("modules/m1.nxs", "/entry/data")
g = det.h5object
kinds = []
for n in ("dist", "distance", "m1"):
    kinds.append(type(g.get(n, getlink=True)).__name__)
ds.result = kinds + [g.get("dist", getlink=True).path, g.get("m1", getlink=True).filename] + sorted(l.target_path for l in h5w.get_links(det))`, file);
  assert.deepEqual(out.data, ['SoftLink', 'HardLink', 'ExternalLink', '/scan/instrument/lmbd/distance', 'modules/m1.nxs',
    '/entry/data', '/scan/instrument/lmbd/distance', '/scan/instrument/lmbd/distance']);
});

test('names and attribute names come in h5py\'s order for the reference\'s files (by name), not in the sink\'s (creation order here): __root__, __nxroot__, get_links', async () => {
  const { file, det } = memFile();
  for (const n of ['temperature', 'pressure', 'Zeta', 'alpha']) det.createField(n, { type: 'float64', shape: [] });
  for (const n of ['units', 'NX_class', 'long_name']) det.setAttribute(n, stringValue('x'));
  const out = await run(`
import nxstools.h5pywriter as h5w
det = commonblock["__root__"].open("scan").open("instrument").open("lmbd")
g = commonblock["__nxroot__"]["scan/instrument/lmbd"]
ds.result = ["|".join(det.names()), "|".join(g.keys()), "|".join(list(g)), "|".join(l.name for l in h5w.get_links(det)),
             "|".join(a.name for a in det.attributes), "|".join(g.attrs.keys())]`, file);
  const names = 'Zeta|alpha|pressure|temperature';
  const attrs = 'NX_class|long_name|units';
  assert.deepEqual(out.data, [names, names, names, names, attrs, attrs]);
});

test('__root__ knows the split file: currentfileid and stepsperfile as the session has them (the helpers\' split branches)', async () => {
  const { file } = memFile();
  const out = await run(`
from nxstools.pyeval import limaccd
commonblock["lima_saving_next_number"] = 11
ds.result = [commonblock["__root__"].currentfileid, commonblock["__root__"].stepsperfile, limaccd.postrun(commonblock, 31, "/data/lima", ".edf", 2, "%05d", "img_", "lima_saving_next_number")]`, file, -2, { currentFileId: 2, stepsPerFile: 5 });
  // the second file of 5 steps with 2 frames each holds frames 20..29 of the run that started at 10
  assert.deepEqual(out.data, ['2', '5', '/data/lima/img_%05d.edf:20:29']);
});

test('create_virtual_field: an h5py VirtualLayout (nxstools h5pywriter) becomes hyperslab mappings, unlimited counts as -1', async () => {
  const { file, det } = memFile();
  await run(`
import nxstools.h5pywriter as nxw
det = commonblock["__root__"].open("scan").open("instrument").open("lmbd")
vfl = nxw.virtual_field_layout([6, 2, 8], "int32")
for k, name in enumerate(["a", "b"]):
    ef = nxw.target_field_view("scan_00001/lmbd/%s.nxs" % name, "/entry/data", [3, 2, 4], "int32")
    vfl.add((slice(None, nxw.unlimited()), slice(0, 2), slice(4 * k, 4 * k + 4)), ef, (slice(None, nxw.unlimited()), slice(None), slice(None)))
vfl2 = nxw.virtual_field_layout([6, 2, 4], "int32")
vfl2[3:6, :, :] = nxw.target_field_view("scan_00001/lmbd/c.nxs", "/entry/data", [3, 2, 4], "int32")
det.create_virtual_field("data", vfl)
det.create_virtual_field("second", vfl2, 7)
ds.result = 1`, file);
  const spec = det.virtual.get('data')!;
  assert.deepEqual([spec.type, spec.shape, spec.maxShape], ['int32', [6, 2, 8], [-1, -1, -1]]);
  assert.equal(spec.mappings.length, 2);
  assert.deepEqual(spec.mappings[1], {
    file: 'scan_00001/lmbd/b.nxs', dataset: '/entry/data', sourceShape: [3, 2, 4],
    sourceSelection: { start: [0, 0, 0], stride: [1, 1, 1], block: [1, 1, 1], count: [-1, 2, 4] },
    virtualSelection: { start: [0, 0, 4], stride: [1, 1, 1], block: [1, 1, 1], count: [-1, 2, 4] },
  });
  const second = det.virtual.get('second')!;
  assert.equal(second.fillValue, 7);
  assert.deepEqual(second.mappings, [{
    file: 'scan_00001/lmbd/c.nxs', dataset: '/entry/data', sourceShape: [3, 2, 4],
    virtualSelection: { start: [3, 0, 0], stride: [1, 1, 1], block: [1, 1, 1], count: [3, 2, 4] },
  }]);
});

test('a sink without createVirtualField: the script fails with a message naming the sink', async () => {
  const { file, det } = memFile();
  (det as { createVirtualField?: unknown }).createVirtualField = undefined;
  await assert.rejects(run(`
import nxstools.h5pywriter as nxw
det = commonblock["__root__"].open("scan").open("instrument").open("lmbd")
vfl = nxw.virtual_field_layout([3], "int32")
vfl[0:3] = nxw.target_field_view("x.nxs", "/d", [3], "int32")
det.create_virtual_field("data", vfl)`, file), /the sink 'memory' cannot store virtual datasets \(it does not implement createVirtualField\); \/scan\/instrument\/lmbd\/data/);
});
