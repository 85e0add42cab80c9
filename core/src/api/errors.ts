/**
 * Typed errors. Every error carries a stable code (the Tango front end uses it as the DevFailed
 * reason, the CLI prints it), a message that names where the problem is, and its cause.
 */
export type ErrorCode =
  | 'CONFIG_SYNTAX'        // XML not well formed
  | 'CONFIG_INVALID'       // well-formed XML the engine cannot use (missing name, bad attribute, ...)
  | 'UNSUPPORTED_TAG'      // no tag handler for an element
  | 'DATASOURCE_UNKNOWN'   // no plugin provides the datasource type
  | 'DATASOURCE_CONFIG'    // a datasource's own configuration is wrong
  | 'DATA_NOT_FOUND'       // acquisition failed: 'Data for <path> not found. DATASOURCE: ...'
  | 'ACQUISITION_FAILED'   // one or more elements failed in a phase (non-canfail)
  | 'SOURCE_UNAVAILABLE'   // a server / device / database cannot be reached
  | 'TIMEOUT'
  | 'SCRIPT_KILLED'        // an expression script went over its time or memory limit and was stopped
  | 'VALUE_INVALID'        // a value cannot be represented or cast
  | 'JSON_INVALID'
  | 'LIMIT_EXCEEDED'       // an input beyond a configured bound (docs/limits.md)
  | 'WRONG_STATE'          // a command not allowed in the current state
  | 'FILE_ERROR'           // output file cannot be created / opened / written
  | 'FILE_LOCKED'
  | 'PLUGIN_REFUSED'
  | 'PLUGIN_OPTIONS'
  | 'INTERNAL';

export class NxswError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'NxswError';
  }
}

/** A position in a configuration document: 1-based line and column plus the element path. */
export interface XmlLocation {
  line: number;
  column: number;
  /** e.g. /definition/group[entry1:NXentry]/field[counter1] */
  path: string;
}

export function formatLocation(loc: XmlLocation): string {
  return `line ${loc.line}, column ${loc.column}, at ${loc.path}`;
}

/** An error in the XML configuration; the message ends with where it is. */
export class ConfigError extends NxswError {
  readonly location: XmlLocation | undefined;
  constructor(code: 'CONFIG_SYNTAX' | 'CONFIG_INVALID' | 'UNSUPPORTED_TAG' | 'DATASOURCE_UNKNOWN' | 'DATASOURCE_CONFIG' | 'LIMIT_EXCEEDED', message: string, location?: XmlLocation, options?: { cause?: unknown }) {
    super(code, location ? `${message} (${formatLocation(location)})` : message, options);
    this.location = location;
    this.name = 'ConfigError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Wraps anything thrown into an NxswError, keeping an NxswError as it is. */
export function asNxswError(e: unknown, fallback: ErrorCode = 'INTERNAL'): NxswError {
  return e instanceof NxswError ? e : new NxswError(fallback, errorMessage(e), { cause: e });
}
