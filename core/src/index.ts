// The public API of @nxsw/core: what plugins, front ends and tests import.
import 'reflect-metadata';

export * from './api/errors.js';
export * from './api/values.js';
export * from './api/xml.js';
export * from './api/extensions.js';
export * from './api/plugin.js';
export * from './api/files.js';
export * from './api/chunks.js';
export * from './api/sinkchecks.js';
export * from './api/secrets.js';
export * from './api/limits.js';
export * from './engine/plan.js';
export { parseXml } from './engine/xmlparse.js';
export { STANDARD_TAGS } from './engine/tags.js';
export { WriterSession, STATUS_TEXT, parseJsonRecord, announcedRecords, type ConfigurationSummary, type ClosedFiles, type SessionFileEvent, type XmlSettingsOptions, type WriterState, type SessionOptions, type Durability } from './engine/session.js';
export { SessionRegistry, type RegistryFileListener } from './engine/sessions.js';
export { parseFileName, nexusTime } from './engine/filename.js';
export { scicatMetadata, type ScicatOptions } from './engine/scicat.js';
export { Kernel, stderrLogger, type KernelOptions, type PluginStatus } from './kernel/kernel.js';
export { rateLimitedLogger } from './kernel/log.js';
export { NXSW_VERSION } from './version.js';
export { nxdlLibrary, checkPlanAgainstNxdl, validateFileAgainstNxdl, formatReport, type NxdlReport, type Finding } from './nxdl/index.js';
export { parseChoices } from './cli/options.js';
