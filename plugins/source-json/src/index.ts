export { ClientSource, ClientSourceType } from './client.js';
export { EvalSource, EvalSourceType, ScriptGroup } from './eval.js';
