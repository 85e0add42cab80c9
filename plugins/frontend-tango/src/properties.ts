/**
 * The NXSDataWriter device properties (spec 4.4): names, defaults and how the string values the
 * database keeps become typed settings. Unparseable values fall back to the default with a warning.
 */
import type { Logger } from '@nxsw/core';
import type { WizardProperty } from '@nxsw/tango-wire/server';

export interface WriterProperties {
  readonly numberOfThreads: number;
  /** seconds; 0 = off: warn when a Record takes longer */
  readonly maxRecordRuntime: number;
  /** seconds; 0 = off: warn when one source read takes longer */
  readonly maxElementRuntime: number;
  /** back-end: '' (automatic), a sink name, or a reference name (h5cpp, h5py) meaning HDF5 */
  readonly writer: string;
  readonly defaultCanFail: boolean;
  readonly addingLogs: boolean;
  readonly metadataOutput: string;
  /** the Python 3 interpreter of the device's PYEVAL scripts ('' = the plugin's default) */
  readonly pythonInterpreter: string;
  /** refuse an XMLSettings whose entries fail the application definition they name */
  readonly nxdlStrict: boolean;
  /** a folder of NeXus definitions; '' for the copy shipped with nxsw */
  readonly nxdlDirectory: string;
}

export const DEFAULT_PROPERTIES: WriterProperties = {
  numberOfThreads: 100, maxRecordRuntime: 0, maxElementRuntime: 0, writer: '', defaultCanFail: true, addingLogs: true, metadataOutput: '', pythonInterpreter: '', nxdlStrict: false, nxdlDirectory: '',
};

/**
 * Each property with its description and default as Jive's and Astor's server wizards show them
 * (QueryWizardDevProperty). The reference's seven keep its descriptions and defaults.
 */
export const PROPERTY_WIZARD: readonly WizardProperty[] = [
  { name: 'NumberOfThreads', description: 'maximal number of threads', default: '100' },
  { name: 'MaxRecordRuntime', description: 'maximal runtime for a record command in seconds', default: '0.0' },
  { name: 'MaxElementRuntime', description: 'maximal runtime for a thread element in seconds', default: '0.0' },
  { name: 'Writer', description: 'writer module', default: '' },
  { name: 'DefaultCanFail', description: 'Default value of CanFail attribute', default: 'True' },
  { name: 'AddingLogs', description: 'Add XML logs', default: 'True' },
  { name: 'MetadataOutput', description: 'metadata output', default: '' },
  { name: 'PythonInterpreter', description: 'Python 3 interpreter of the PYEVAL scripts (empty: the Python plugin\'s default)', default: '' },
  { name: 'NXDLStrict', description: 'refuse an XMLSettings whose entries fail their application definition', default: 'False' },
  { name: 'NXDLDirectory', description: 'folder of NeXus definitions (empty: the copy shipped with nxsw)', default: '' },
];

export const PROPERTY_NAMES: readonly string[] = PROPERTY_WIZARD.map((p) => p.name);

function bool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(s)) return true;
  if (['false', '0', 'no', 'off'].includes(s)) return false;
  return undefined;
}

function num(v: string, integer: boolean): number | undefined {
  const x = Number(v.trim());
  if (!Number.isFinite(x) || x < 0 || (integer && !Number.isInteger(x))) return undefined;
  return x;
}

/** Typed properties from raw values (name matching is case-insensitive, like Tango's). */
export function parseProperties(raw: ReadonlyMap<string, readonly string[]>, device: string, log: Logger): WriterProperties {
  const byLower = new Map([...raw].map(([k, v]) => [k.toLowerCase(), v.join('\n')]));
  const get = <T>(name: string, parse: (s: string) => T | undefined, dflt: T): T => {
    const s = byLower.get(name.toLowerCase());
    if (s === undefined) return dflt;
    const v = parse(s);
    if (v === undefined) {
      log.warn(`${device}: property ${name}='${s}' is not valid; using ${String(dflt)}`);
      return dflt;
    }
    return v;
  };
  const d = DEFAULT_PROPERTIES;
  for (const k of raw.keys()) {
    if (!PROPERTY_NAMES.some((n) => n.toLowerCase() === k.toLowerCase())) log.warn(`${device}: unknown property ${k} is ignored`);
  }
  return {
    numberOfThreads: get('NumberOfThreads', (s) => num(s, true), d.numberOfThreads),
    maxRecordRuntime: get('MaxRecordRuntime', (s) => num(s, false), d.maxRecordRuntime),
    maxElementRuntime: get('MaxElementRuntime', (s) => num(s, false), d.maxElementRuntime),
    writer: get('Writer', (s) => s.trim(), d.writer),
    defaultCanFail: get('DefaultCanFail', bool, d.defaultCanFail),
    addingLogs: get('AddingLogs', bool, d.addingLogs),
    metadataOutput: get('MetadataOutput', (s) => s.trim(), d.metadataOutput),
    pythonInterpreter: get('PythonInterpreter', (s) => s.trim(), d.pythonInterpreter),
    nxdlStrict: get('NXDLStrict', bool, d.nxdlStrict),
    nxdlDirectory: get('NXDLDirectory', (s) => s.trim(), d.nxdlDirectory),
  };
}
