export { ClientSource, ClientSourceType } from './client.js';
export { EvalSource, EvalSourceType, type EvalOptions } from './eval.js';
