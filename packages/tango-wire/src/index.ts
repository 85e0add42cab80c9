/** @nxsw/tango-wire: the native Tango protocol (CDR, GIOP, IOR, Tango IDL types, client); the server side is the `@nxsw/tango-wire/server` entry point. */
export * from './cdr.js';
export * from './typecode.js';
export * from './giop.js';
export * from './ior.js';
export * from './names.js';
export * from './enums.js';
export * from './errors.js';
export * from './idl.js';
export * from './attribute-value.js';
export * from './command-args.js';
export * from './connection.js';
export * from './orb.js';
export * as deviceOps from './device-ops.js';
export * from './database.js';
export * from './device-proxy.js';
