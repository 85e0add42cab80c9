// The public API of @nxsw/core: what plugins, front ends and tests import.
import 'reflect-metadata';

export * from './api/errors.js';
export * from './api/values.js';
export * from './api/xml.js';
export * from './api/extensions.js';
export * from './api/plugin.js';
