export { PyEvalSource, PyEvalSourceType } from './pyeval.js';
export { PythonClassSource } from './pyclass.js';
export { PythonClassDecoder } from './pydecoder.js';
export { PythonRuntime, PYTHON_DIR } from './runtime.js';
export { PythonWorker, PythonError } from './worker.js';
export { encodeFrame, decodeValue, FrameSplitter } from './codec.js';
