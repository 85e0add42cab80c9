// Server-side Tango: the GIOP transport, the device model and servant, the admin device, the
// database registry. Re-exports the wire types a device implementation needs.
export { GiopServer, systemException, CORBA_PREFIX, DEFAULT_MAX_CONNECTIONS, DEFAULT_IDLE_TIMEOUT_MS, type GiopRequest, type ReplyWriter, type Dispatcher, type GiopServerOptions } from './transport.js';
export { DeviceServant, toDevFailed, type ServerContext } from './servant.js';
export { AdminDevice, type AdminHost } from './admin.js';
export { DeviceServer, type DeviceServerOptions } from './device-server.js';
export { DatabaseRegistry } from './registry.js';
export { toAttrData, fromAttrData, reasonOf, type AttributeSpec, type CommandSpec, type TangoDevice, type WizardProperty, type AttrValue, type ScalarValue, type Caller } from './model.js';
export { CmdArgType, DevState, DispLevel, DEV_STATE_NAMES } from '../enums.js';
export { devFailed, TangoDevFailed, TangoMultiDevFailed, CorbaSystemException } from '../errors.js';
export { defaultTangoHost, parseTangoHost, type HostPort } from '../names.js';
export { ZmqEventSupplier, primaryAddress, HEARTBEAT_PERIOD_MS } from './zmq-supplier.js';
export { DeviceEvents, SUBSCRIPTION_LIFETIME_MS, type EventKind } from './events.js';
export { DevicePoller, POLL_RING_DEPTH } from './polling.js';
export { DeviceLock } from './lock.js';
export { LoggingControl, LogLevel, type LogConsumerCall } from './logging.js';
export { MEMORIZED_PROPERTY, type DeviceStore } from './attr-config.js';
export { TANGO_LIB_RELEASE } from './admin.js';
