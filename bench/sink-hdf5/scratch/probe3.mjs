import * as h5wasm from 'h5wasm/node';
const M = await h5wasm.ready;
M.activate_throwing_error_handler();
const buf = Buffer.from(M.HEAPU8.buffer);
const i = buf.indexOf('HDF5 library version: ');
console.log(i, buf.subarray(i, i+40).toString('latin1'));
const fid = M.open('/tmp/p3.h5', M.H5F_ACC_TRUNC, true, M.H5F_LIBVER_V110, M.H5F_LIBVER_V110);
M.create_group(fid, '/g', true);
try { M.create_group(fid, '/g', true); } catch (e) { console.log('ERR type', typeof e, e?.constructor?.name, JSON.stringify(String(e?.message ?? e)).slice(0,1500)); }
try { M.open('/nonexist/dir/x.h5', M.H5F_ACC_TRUNC, true, M.H5F_LIBVER_V110, M.H5F_LIBVER_V110); } catch (e) { console.log('ERR2', JSON.stringify(String(e?.message ?? e)).slice(0,1500)); }
try { M.create_dataset(fid, '/bad', 0n, { type: 0, size: 1, signed: true, vlen: false, littleEndian: true, shape: [0n], maxshape: [18446744073709551615n], chunks: [16n], compression: 32008, compression_opts: [] }); console.log('bitshuffle create ok'); } catch (e) { console.log('ERR3', JSON.stringify(String(e?.message ?? e)).slice(0,600)); }
try { M.create_dataset(fid, '/bad2', 0n, { type: 0, size: 1, signed: true, vlen: false, littleEndian: true, shape: [0n], maxshape: [18446744073709551615n], chunks: [16n], compression: 4, compression_opts: [] }); console.log('szip create ok'); } catch (e) { console.log('ERR4', JSON.stringify(String(e?.message ?? e)).slice(0,600)); }
console.log(M.get_type(fid,'/g'), M.get_type(fid,'/nope'), M.get_names(fid, '/', false));
M.create_soft_link(fid, '/nothere', '/dang');
console.log(M.get_type(fid,'/dang'), M.get_symbolic_link(fid, '/dang'));
console.log(M.get_plugin_search_paths());
M.close_file(fid);
