import * as h5wasm from 'h5wasm/node';
import fs from 'node:fs';
const M = await h5wasm.ready;
M.activate_throwing_error_handler();
const fn = '/tmp/p2.h5';
try { fs.unlinkSync(fn) } catch {}
let t0 = performance.now();
let fid = M.open(fn, M.H5F_ACC_TRUNC, true, M.H5F_LIBVER_V110, M.H5F_LIBVER_V110);
console.log('open', performance.now()-t0, fid, M.get_libver_bounds(fid));
const meta = { type: 0, size: 1, signed: true, vlen: false, littleEndian: true, shape: [0n], maxshape: [18446744073709551615n], chunks: [4096n], compression: 2, compression_opts: [], track_order: true };
M.create_dataset(fid, '/b', 0n, meta);
const ref = M.create_object_reference(fid, '/b');
console.log('ref', ref);
const addr = Number(new DataView(Uint8Array.from(ref).buffer).getBigUint64(0, true));
M.flush(fid);
// vlen string dataset, chunked, unlimited
M.create_vlen_str_dataset(fid, '/s', [], { type: 3, size: 4, signed:false, vlen: true, littleEndian: true, shape: [0n], maxshape: [18446744073709551615n], chunks: [256n], track_order: true });
M.resize_dataset(fid, '/s', [2n]);
const enc = new TextEncoder();
const strs = ['héllo', 'wörld ✓'];
const bytes = strs.map(s=>enc.encode(s));
const total = 8 + bytes.reduce((a,b)=>a+b.length+1,0);
const p = M._malloc(total);
let q = p + 8;
for (let i=0;i<2;i++){ M.HEAPU8.set(bytes[i], q); M.HEAPU8[q+bytes[i].length]=0; new DataView(M.HEAPU8.buffer).setUint32(p+4*i, q, true); q += bytes[i].length+1; }
M.set_dataset_data(fid, '/s', [2n], [0n], [1n], BigInt(p));
M._free(p);
t0 = performance.now();
M.close_file(fid);
fid = M.open(fn, M.H5F_ACC_RDWR, true, M.H5F_LIBVER_V110, M.H5F_LIBVER_V110);
console.log('reopen', performance.now()-t0);
M.close_file(fid);
const buf = fs.readFileSync(fn);
console.log('addr', addr, buf.subarray(addr, addr+300).toString('hex').replace(/(..)/g,'$1 '));
