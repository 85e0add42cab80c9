/**
 * Tango values → NxValue, and Tango client errors → NxswError codes the engine understands.
 */
import { NxswError, errorMessage, valueFromJs, stringValue } from '@nxsw/core';
import type { ElementType, NxValue, ReadContext } from '@nxsw/core';
import {
  AttrQuality, CmdArgType, CorbaSystemException, DEV_STATE_NAMES, TangoConnectionError, TangoDevFailed, TangoNameError,
  TangoProtocolError, TangoTimeoutError,
} from '@nxsw/tango-wire';
import type { AttributeReading, DevEncoded } from '@nxsw/tango-wire';

/** Element type of each Tango scalar type (DevEnum travels as a DevShort). */
export const ELEMENT_OF: Partial<Record<CmdArgType, ElementType>> = {
  [CmdArgType.DevBoolean]: 'bool',
  [CmdArgType.DevShort]: 'int16',
  [CmdArgType.DevEnum]: 'int16',
  [CmdArgType.DevLong]: 'int32',
  [CmdArgType.DevInt]: 'int32',
  [CmdArgType.DevLong64]: 'int64',
  [CmdArgType.DevFloat]: 'float32',
  [CmdArgType.DevDouble]: 'float64',
  [CmdArgType.DevUShort]: 'uint16',
  [CmdArgType.DevULong]: 'uint32',
  [CmdArgType.DevULong64]: 'uint64',
  [CmdArgType.DevUChar]: 'uint8',
  [CmdArgType.DevString]: 'string',
  [CmdArgType.ConstDevString]: 'string',
  [CmdArgType.DevVarBooleanArray]: 'bool',
  [CmdArgType.DevVarShortArray]: 'int16',
  [CmdArgType.DevVarLongArray]: 'int32',
  [CmdArgType.DevVarLong64Array]: 'int64',
  [CmdArgType.DevVarFloatArray]: 'float32',
  [CmdArgType.DevVarDoubleArray]: 'float64',
  [CmdArgType.DevVarUShortArray]: 'uint16',
  [CmdArgType.DevVarULongArray]: 'uint32',
  [CmdArgType.DevVarULong64Array]: 'uint64',
  [CmdArgType.DevVarCharArray]: 'uint8',
  [CmdArgType.DevVarStringArray]: 'string',
};

function isIntegerWant(want: ElementType | undefined): boolean {
  return want !== undefined && /^u?int/.test(want);
}

/**
 * DevState values: the state's name ("ON", "MOVING") — what a user sees in every Tango tool —
 * unless the field asks for an integer type, then the enum number (ON 0 … UNKNOWN 13).
 */
export function stateValue(states: ArrayLike<number>, shape: readonly number[], want?: ElementType): NxValue {
  if (isIntegerWant(want)) return { type: 'uint32', shape: [...shape], data: Uint32Array.from(states as ArrayLike<number>) };
  const names = Array.from(states, (s) => DEV_STATE_NAMES[s] ?? `UNKNOWN(${s})`);
  return { type: 'string', shape: [...shape], data: names };
}

export async function decodeEncoded(ctx: ReadContext, encoding: string | undefined, value: DevEncoded | undefined): Promise<NxValue> {
  if (!value) throw new NxswError('DATA_NOT_FOUND', 'the DevEncoded value is empty');
  // the <device encoding> wins; without it the value's own format string names the decoder
  const name = encoding || value.format;
  if (!name) throw new NxswError('DATA_NOT_FOUND', 'a DevEncoded value without format string needs encoding="..." on <device>');
  return await ctx.decoder(name).decode(value.format, value.data, ctx);
}

/**
 * An attribute reading as an NxValue: scalar [], spectrum [n], image [dim_y, dim_x]. Async because
 * a DevEncoded value's decoder may run elsewhere (a Python decoder class in the session's worker).
 */
export async function readingToValue(r: AttributeReading, ctx: ReadContext, encoding: string | undefined, want?: ElementType): Promise<NxValue> {
  if (r.errors.length) throw new TangoDevFailed(r.errors, `read ${r.name}`);
  if (r.quality === AttrQuality.ATTR_INVALID && r.data.length === 0) throw new NxswError('DATA_NOT_FOUND', `attribute ${r.name} has quality ATTR_INVALID (no value)`);
  if (r.type === CmdArgType.DevEncoded) return decodeEncoded(ctx, encoding, (r.data as DevEncoded[])[0]);
  if (r.type === CmdArgType.DevState) return stateValue(r.data as Uint32Array, r.shape, want);
  const t = ELEMENT_OF[r.type];
  if (!t) throw new NxswError('VALUE_INVALID', `attribute ${r.name}: Tango type ${CmdArgType[r.type] ?? r.type} is not supported`);
  const expected = r.shape.reduce((a, b) => a * b, 1);
  if (r.data.length !== expected) throw new NxswError('DATA_NOT_FOUND', `attribute ${r.name}: ${r.data.length} values for shape [${r.shape.join(', ')}]`);
  // the client's typed arrays already have the element type; bool data is 0/1 bytes
  const data = t === 'string' ? [...(r.data as string[])] : r.data;
  return { type: t, shape: [...r.shape], data: data as NxValue['data'] };
}

/** A command result (decoded by the client) as an NxValue, typed by the command's out type. */
export async function commandToValue(out: unknown, outType: CmdArgType, command: string, ctx: ReadContext, encoding: string | undefined, want?: ElementType): Promise<NxValue> {
  if (outType === CmdArgType.DevVoid || out === undefined) throw new NxswError('DATA_NOT_FOUND', `command ${command} returns no value (DevVoid)`);
  if (outType === CmdArgType.DevState) return stateValue([out as number], [], want);
  if (outType === CmdArgType.DevVarStateArray) {
    const a = out as ArrayLike<number>;
    return stateValue(a, [a.length], want);
  }
  if (outType === CmdArgType.DevEncoded) return decodeEncoded(ctx, encoding, out as DevEncoded);
  const t = ELEMENT_OF[outType];
  if (!t) throw new NxswError('VALUE_INVALID', `command ${command}: output type ${CmdArgType[outType] ?? outType} cannot be stored in a field`);
  if (t === 'string' && typeof out === 'string') return stringValue(out);
  return valueFromJs(out, t);
}

const UNAVAILABLE_REASONS = new Set([
  'API_DeviceNotExported', 'API_CantConnectToDevice', 'API_CorbaException', 'API_CantConnectToDatabase',
  'API_DeviceNotDefined', 'API_ServerNotRunning', 'API_DatabaseAccess', 'API_CommunicationFailed',
]);
const UNAVAILABLE_CORBA = new Set(['TRANSIENT', 'COMM_FAILURE', 'OBJECT_NOT_EXIST', 'NO_RESPONSE', 'INV_OBJREF']);

/** Maps whatever the client threw to the engine's error codes, keeping the Tango text. */
export function toNxswError(e: unknown, what: string): NxswError {
  if (e instanceof NxswError) return e;
  const text = `${what}: ${errorMessage(e)}`;
  if (e instanceof TangoTimeoutError) return new NxswError('TIMEOUT', text, { cause: e });
  if (e instanceof TangoConnectionError) return new NxswError('SOURCE_UNAVAILABLE', text, { cause: e });
  if (e instanceof CorbaSystemException) return new NxswError(UNAVAILABLE_CORBA.has(e.exceptionName) ? 'SOURCE_UNAVAILABLE' : 'DATA_NOT_FOUND', text, { cause: e });
  if (e instanceof TangoDevFailed) {
    const reasons = e.errors.map((x) => x.reason);
    if (reasons.includes('API_DeviceTimedOut')) return new NxswError('TIMEOUT', text, { cause: e });
    if (reasons.some((r) => UNAVAILABLE_REASONS.has(r))) return new NxswError('SOURCE_UNAVAILABLE', text, { cause: e });
    return new NxswError('DATA_NOT_FOUND', text, { cause: e });
  }
  if (e instanceof TangoNameError) return new NxswError('DATASOURCE_CONFIG', text, { cause: e });
  if (e instanceof TangoProtocolError) return new NxswError('SOURCE_UNAVAILABLE', text, { cause: e });
  return new NxswError('DATA_NOT_FOUND', text, { cause: e });
}

/** Settles with p, or rejects as soon as the signal aborts (the client call then ends on its own timeout). */
export function withSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  const reason = (): Error => (signal.reason instanceof Error ? signal.reason : new NxswError('TIMEOUT', 'the read was aborted'));
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(reason());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e as Error); },
    );
  });
}
