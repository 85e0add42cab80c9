import * as h5wasm from 'h5wasm/node';
const M = await h5wasm.ready;
const keys = Object.keys(M);
console.log(keys.length);
console.log(keys.filter(k=>/H5|_/.test(k)).join(' '));
