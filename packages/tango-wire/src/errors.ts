/** Errors a Tango call can end with: DevFailed from the device, CORBA system exceptions, transport failures. */
import { ErrSeverity } from './enums.js';

export interface DevError {
  reason: string;
  severity: ErrSeverity;
  desc: string;
  origin: string;
}

export const DEV_FAILED_ID = 'IDL:Tango/DevFailed:1.0';
export const MULTI_DEV_FAILED_ID = 'IDL:Tango/MultiDevFailed:1.0';

/** Tango's DevFailed exception: a stack of DevErrors, outermost last as in cppTango (errors[0] is the root cause). */
export class TangoDevFailed extends Error {
  override readonly name = 'TangoDevFailed';
  constructor(readonly errors: DevError[], context?: string) {
    super(`${context ? context + ': ' : ''}${errors.map((e) => `${e.reason}: ${e.desc.trim()} (${e.origin})`).join(' <- ') || 'DevFailed without errors'}`);
  }
  /** reason of the first (root) error */
  get reason(): string {
    return this.errors[0]?.reason ?? '';
  }
}

/** A DevFailed with one ERR-severity DevError (what a device or a client-side check throws). */
export function devFailed(reason: string, desc: string, origin: string): TangoDevFailed {
  return new TangoDevFailed([{ reason, severity: ErrSeverity.ERR, desc, origin }]);
}

/** MultiDevFailed (write_attributes_3/4): per-attribute error stacks. */
export class TangoMultiDevFailed extends Error {
  override readonly name = 'TangoMultiDevFailed';
  constructor(readonly failures: { name: string; index: number; errors: DevError[] }[]) {
    super(failures.map((f) => `${f.name}: ${f.errors.map((e) => `${e.reason}: ${e.desc.trim()}`).join(' <- ')}`).join('; '));
  }
}

/** A CORBA system exception in a reply (BAD_OPERATION, OBJECT_NOT_EXIST, MARSHAL, …). */
export class CorbaSystemException extends Error {
  override readonly name = 'CorbaSystemException';
  constructor(readonly id: string, readonly minor: number, readonly completed: number, context?: string) {
    super(`${context ? context + ': ' : ''}${id} (minor ${minor}, completed ${['YES', 'NO', 'MAYBE'][completed] ?? completed})`);
  }
  /** short name, e.g. "OBJECT_NOT_EXIST" */
  get exceptionName(): string {
    return /\/([A-Z_]+):/.exec(this.id)?.[1] ?? this.id;
  }
}

/** No reply within the call timeout (cppTango: API_DeviceTimedOut). */
export class TangoTimeoutError extends Error {
  override readonly name = 'TangoTimeoutError';
  readonly reason = 'API_DeviceTimedOut';
}

/** The connection failed or was lost before a reply came (cppTango: API_CorbaException / TRANSIENT). */
export class TangoConnectionError extends Error {
  override readonly name = 'TangoConnectionError';
  readonly reason = 'API_CantConnectToDevice';
}

/** The peer sent something this implementation cannot decode. */
export class TangoProtocolError extends Error {
  override readonly name = 'TangoProtocolError';
}
