export { utf8Decoder, uint32Decoder, type SyncDecoder } from './decoders.js';
export { limaVideoDecoder, dataArrayDecoder, encodeVideoImage, encodeDataArray, VIDEO_MAGIC, DATA_ARRAY_MAGIC } from './lima.js';
export { TangoSourceType, TangoSource, ProxyPool, AttributeGroup, CLIENT_GROUP, type Member, type TangoSourceOptions } from './tango-source.js';
export { clientKeys, lookupClient, fullyQualified, reportedDatabaseHost, type ClientKeyParts } from './client-keys.js';
export { readingToValue, commandToValue, stateValue, toNxswError, withSignal } from './convert.js';
export { WireConnector, useWireConnector, toDeviceAttribute, type WireConnectorOptions } from './tangojs/connector.js';
