export { HttpFrontEnd, startHttp, plotPath, type RunningHttpServer } from './frontend.js';
export { parseHttpArgs, parseListen, USAGE, DEFAULT_MAX_ELEMENTS, DEFAULT_MAX_READERS, type HttpOptions } from './args.js';
export { meta, attributes, data, paths, parseSelection, groveType, GroveError, type GroveEntity } from './h5grove.js';
export { writerTree, readerTree, type GroveFile, type TreeGroup, type TreeNode } from './tree.js';
export { ReaderCache } from './readers.js';
export { StatusSampler, type SessionStatus } from './status.js';
