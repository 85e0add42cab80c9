export { HttpFrontEnd, startHttp, plotPath, type RunningHttpServer } from './frontend.js';
export { parseHttpArgs, parseListen, USAGE, DEFAULT_MAX_ELEMENTS, type HttpOptions } from './args.js';
export { meta, attributes, data, parseSelection, groveType, GroveError, type GroveEntity } from './h5grove.js';
export { StatusSampler, type SessionStatus } from './status.js';
