/**
 * Attribute configuration as stored in the Tango database: the user-settable fields of an
 * AttributeConfig (label, unit, format, alarms, event criteria ...) under cppTango's attribute
 * property names. set_attribute_config stores the fields that differ from the device's defaults
 * and deletes the ones set back to a default ("", "Not specified", "NaN"), as cppTango does;
 * the device start reads them back. Also the DeviceStore a server keeps this in.
 */
import type { AttributeConfig } from '../idl.js';
import { devFailed } from '../errors.js';

/** Where a server keeps device and attribute properties (the Tango database). */
export interface DeviceStore {
  deviceProperties(device: string, names: readonly string[]): Promise<Map<string, string[]>>;
  putDeviceProperty(device: string, name: string, values: readonly string[]): Promise<void>;
  deleteDeviceProperty(device: string, name: string): Promise<void>;
  /** attribute → property → values */
  attributeProperties(device: string, attributes: readonly string[]): Promise<Map<string, Map<string, string[]>>>;
  putAttributeProperties(device: string, attribute: string, props: ReadonlyMap<string, readonly string[]>): Promise<void>;
  deleteAttributeProperties(device: string, attribute: string, names: readonly string[]): Promise<void>;
}

/** the memorized value's attribute property */
export const MEMORIZED_PROPERTY = '__value';

type Field = readonly [property: string, get: (c: AttributeConfig) => string, set: (c: AttributeConfig, v: string) => void];

/** cppTango's attribute property names and the config fields they hold */
export const SETTABLE_FIELDS: readonly Field[] = [
  ['label', (c) => c.label, (c, v) => { c.label = v; }],
  ['description', (c) => c.description, (c, v) => { c.description = v; }],
  ['unit', (c) => c.unit, (c, v) => { c.unit = v; }],
  ['standard_unit', (c) => c.standardUnit, (c, v) => { c.standardUnit = v; }],
  ['display_unit', (c) => c.displayUnit, (c, v) => { c.displayUnit = v; }],
  ['format', (c) => c.format, (c, v) => { c.format = v; }],
  ['min_value', (c) => c.minValue, (c, v) => { c.minValue = v; }],
  ['max_value', (c) => c.maxValue, (c, v) => { c.maxValue = v; }],
  ['min_alarm', (c) => c.alarm.minAlarm, (c, v) => { c.alarm.minAlarm = v; }],
  ['max_alarm', (c) => c.alarm.maxAlarm, (c, v) => { c.alarm.maxAlarm = v; }],
  ['min_warning', (c) => c.alarm.minWarning, (c, v) => { c.alarm.minWarning = v; }],
  ['max_warning', (c) => c.alarm.maxWarning, (c, v) => { c.alarm.maxWarning = v; }],
  ['delta_t', (c) => c.alarm.deltaT, (c, v) => { c.alarm.deltaT = v; }],
  ['delta_val', (c) => c.alarm.deltaVal, (c, v) => { c.alarm.deltaVal = v; }],
  ['rel_change', (c) => c.events.change.relChange, (c, v) => { c.events.change.relChange = v; }],
  ['abs_change', (c) => c.events.change.absChange, (c, v) => { c.events.change.absChange = v; }],
  ['event_period', (c) => c.events.periodic.period, (c, v) => { c.events.periodic.period = v; }],
  ['archive_rel_change', (c) => c.events.archive.relChange, (c, v) => { c.events.archive.relChange = v; }],
  ['archive_abs_change', (c) => c.events.archive.absChange, (c, v) => { c.events.archive.absChange = v; }],
  ['archive_period', (c) => c.events.archive.period, (c, v) => { c.events.archive.period = v; }],
];

/** values that mean "back to the default" in set_attribute_config */
const RESET = new Set(['', 'not specified', 'nan', 'none']);

/** Applies stored properties (name → value) to a config. */
export function applyProperties(c: AttributeConfig, props: ReadonlyMap<string, string>): AttributeConfig {
  for (const [prop, , set] of SETTABLE_FIELDS) {
    const v = props.get(prop);
    if (v !== undefined) set(c, v);
  }
  return c;
}

/** The properties set_attribute_config changes: new values to store and names to delete. */
export function configChanges(defaults: AttributeConfig, current: ReadonlyMap<string, string>, incoming: AttributeConfig): { put: Map<string, string>; remove: string[] } {
  const put = new Map<string, string>();
  const remove: string[] = [];
  for (const [prop, get] of SETTABLE_FIELDS) {
    const v = get(incoming);
    const dflt = get(defaults);
    const now = current.get(prop) ?? dflt;
    if (v === now) continue;
    if (v === dflt || RESET.has(v.trim().toLowerCase())) {
      if (current.has(prop)) remove.push(prop);
    } else {
      put.set(prop, v);
    }
  }
  return { put, remove };
}

/** the limit properties: numbers, set only on numeric attributes, each min below its max */
const LIMIT_PAIRS = [['min_value', 'max_value'], ['min_alarm', 'max_alarm'], ['min_warning', 'max_warning']] as const;

/**
 * Refuses limits cppTango refuses in set_attribute_config, with its reasons and texts: a limit on
 * a non-numeric attribute, one that is not a number, a min not below its max. `put` are the
 * properties being set, `next` all the attribute's stored properties once they are.
 */
export function checkLimitProperties(device: string, attr: string, numeric: boolean, put: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): void {
  const where = `Device ${device}-> Attribute : ${attr}\n`;
  for (const prop of LIMIT_PAIRS.flat()) {
    const v = put.get(prop);
    if (v === undefined) continue;
    if (!numeric) throw devFailed('API_AttrOptProp', `${where}The property ${prop} is not settable for the attribute data type`, 'Attribute::set_one_alarm_prop()');
    if (v.trim() === '' || Number.isNaN(Number(v))) throw devFailed('API_AttrOptProp', `${where}The property ${prop} is defined in an unsupported format`, 'Attribute::convert_prop_value()');
  }
  for (const [lo, hi] of LIMIT_PAIRS) {
    const min = next.get(lo);
    const max = next.get(hi);
    if (min !== undefined && max !== undefined && Number(min) >= Number(max)) {
      throw devFailed('API_IncoherentValues', `${where}Value of ${lo} is greater than or equal to ${hi}`, 'Attribute::set_upd_properties()');
    }
  }
}
