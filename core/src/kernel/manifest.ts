/**
 * Reads and checks a plugin's package.json: the manifest against plugin-schema.json, the API range
 * against this kernel's PLUGIN_API_VERSION, and compiles the plugin's own options schema.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import semver from 'semver';
import { PLUGIN_API_VERSION, type PluginManifest } from '../api/plugin.js';

export interface PluginPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly manifest: PluginManifest;
}

const here = dirname(fileURLToPath(import.meta.url));
/** plugin-schema.json sits at the repository root; a packed kernel carries a copy in its package */
function findSchema(): string {
  for (const p of [join(here, '..', '..', '..', 'plugin-schema.json'), join(here, '..', '..', '..', '..', 'plugin-schema.json')]) {
    if (existsSync(p)) return p;
  }
  throw new Error('plugin-schema.json not found beside the kernel');
}

let manifestValidator: ValidateFunction | undefined;
const ajv2020 = new Ajv2020({ allErrors: true, strict: false });
const ajv07 = new Ajv({ allErrors: true, strict: false });

function validatorFor(): ValidateFunction {
  manifestValidator ??= ajv2020.compile(JSON.parse(readFileSync(findSchema(), 'utf8')) as object);
  return manifestValidator;
}

export class ManifestError extends Error {}

/** Reads `<dir>/package.json` and returns the checked plugin package, or throws ManifestError. */
export function readPluginPackage(dir: string): PluginPackage {
  const file = join(dir, 'package.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ManifestError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const validate = validatorFor();
  if (!validate(json)) {
    const errs = ajv2020.errorsText(validate.errors, { separator: '; ', dataVar: 'package.json' });
    throw new ManifestError(`invalid plugin manifest in ${file}: ${errs}`);
  }
  const pkg = json as { name: string; version: string; nxsw: PluginManifest };
  if (!semver.validRange(pkg.nxsw.api)) {
    throw new ManifestError(`invalid plugin manifest in ${file}: nxsw.api '${pkg.nxsw.api}' is not a semver range`);
  }
  if (pkg.nxsw.options !== undefined) compileOptionsSchema(pkg.nxsw.options, file);
  return { name: pkg.name, version: pkg.version, dir, manifest: pkg.nxsw };
}

/** null when the kernel's API version satisfies the range, else the refusal text */
export function apiMismatch(pkg: PluginPackage): string | null {
  if (semver.satisfies(PLUGIN_API_VERSION, pkg.manifest.api, { includePrerelease: true })) return null;
  return `it supports plugin API ${pkg.manifest.api}, but this kernel provides API ${PLUGIN_API_VERSION}; install a version of ${pkg.name} built for API ${semver.major(PLUGIN_API_VERSION)}.x`;
}

const compiled = new WeakMap<object, ValidateFunction>();

function compileOptionsSchema(schema: Record<string, unknown>, where: string): ValidateFunction {
  let v = compiled.get(schema);
  if (v) return v;
  const draft07 = typeof schema.$schema === 'string' && schema.$schema.includes('draft-07');
  try {
    v = (draft07 ? ajv07 : ajv2020).compile(schema);
  } catch (e) {
    throw new ManifestError(`invalid plugin manifest in ${where}: nxsw.options is not a valid JSON Schema: ${(e as Error).message}`);
  }
  compiled.set(schema, v);
  return v;
}

/** Validates options against the manifest's schema (an absent schema accepts only an empty object). */
export function validateOptions(pkg: PluginPackage, options: unknown): string | null {
  const schema = pkg.manifest.options ?? { type: 'object', additionalProperties: false };
  const v = compileOptionsSchema(schema, join(pkg.dir, 'package.json'));
  if (v(options)) return null;
  return ajv2020.errorsText(v.errors, { separator: '; ', dataVar: 'options' });
}
