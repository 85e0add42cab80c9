// Public API of @nxsw/frontend-tango: the front end, the NXSDataWriter device class, its options.
export { TangoFrontEnd, CLASS_NAME, type RunningTangoServer } from './frontend.js';
export { NxsDataWriterDevice, type WriterDeviceEnv } from './writer-device.js';
export { parseServeArgs, USAGE, type ServeOptions } from './args.js';
export { parseProperties, DEFAULT_PROPERTIES, PROPERTY_NAMES, PROPERTY_WIZARD, type WriterProperties } from './properties.js';
