/** Parsing of `<database>` and credential handling. */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import { redactSecrets } from '@nxsw/core';
import type { DatabaseSpec } from './driver.js';

/**
 * Where a configuration may take passwords from, set by the server's own configuration (plugin
 * options of @nxsw/source-sql), never by the client that sends the XML: without it, passwd_file,
 * mycnf and passwd_env are refused, so that a client cannot make the server read a file or an
 * environment variable and send it to a database host the client chose.
 */
export interface SecretsPolicy {
  /** passwd_file and mycnf must name a regular file inside this folder (relative names resolve in it) */
  readonly secretsDir?: string;
  /** passwd_env may name variables starting with this prefix */
  readonly passwordEnvPrefix?: string;
  /** passwd_env may name these variables */
  readonly passwordEnvNames?: readonly string[];
}

const HOW = 'in the server configuration (--config): "pluginOptions": {"@nxsw/source-sql": {';

/** The file `attr` names, if the policy allows it; a located refusal otherwise. */
export function allowedSecretFile(path: string, attr: string, policy: SecretsPolicy): string {
  if (!policy.secretsDir) throw new SpecError(`${attr} is refused: this server names no secrets folder; an operator allows files there with ${HOW}"secretsDir": "/path/to/secrets"}}`);
  let dir: string;
  try {
    dir = realpathSync(policy.secretsDir);
  } catch {
    throw new SpecError(`${attr} is refused: the server's secrets folder ${policy.secretsDir} does not exist`);
  }
  let real: string;
  try {
    real = realpathSync(isAbsolute(path) ? path : join(dir, path));
  } catch (e) {
    throw new SpecError(`cannot read the ${attr === 'mycnf' ? 'option' : 'password'} file ${path} (${attr}): ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  // resolved first, so that neither '..' nor a symbolic link leads out of the folder
  if (!real.startsWith(dir + sep)) throw new SpecError(`${attr} ${path} is refused: it is outside the server's secrets folder ${policy.secretsDir} (set by "secretsDir" ${HOW}...}})`);
  if (!statSync(real).isFile()) throw new SpecError(`${attr} ${path} is refused: not a regular file`);
  return real;
}

function allowedEnv(name: string, policy: SecretsPolicy): void {
  const byName = policy.passwordEnvNames?.includes(name) ?? false;
  const byPrefix = policy.passwordEnvPrefix !== undefined && policy.passwordEnvPrefix !== '' && name.startsWith(policy.passwordEnvPrefix);
  if (!byName && !byPrefix) {
    throw new SpecError(`passwd_env ${name} is refused: the server allows no such variable; an operator allows it with ${HOW}"passwordEnvNames": ["${name}"]}} or "passwordEnvPrefix"`);
  }
}

const PASSWORD_ATTRS = new Set(['passwd', 'passwd_env', 'passwd_file']);

/** Thrown for a configuration problem; the DB type turns it into a ConfigError with the location. */
export class SpecError extends Error {}

/**
 * Builds a DatabaseSpec from the element's attributes and text. The password comes from `passwd`,
 * the environment variable named by `passwd_env`, or the file named by `passwd_file` (first line).
 */
export function parseDatabase(attrs: Readonly<Record<string, string>>, text: string, env: NodeJS.ProcessEnv = process.env, policy: SecretsPolicy = {}): DatabaseSpec {
  const dbtype = attrs.dbtype?.trim();
  if (!dbtype) throw new SpecError('Database type (dbtype) not defined');
  const given = [...PASSWORD_ATTRS].filter((a) => attrs[a] !== undefined);
  if (given.length > 1) throw new SpecError(`give only one of ${given.join(', ')}`);
  let password: string | undefined;
  if (attrs.passwd !== undefined) password = attrs.passwd;
  else if (attrs.passwd_env !== undefined) {
    allowedEnv(attrs.passwd_env, policy);
    password = env[attrs.passwd_env];
    if (password === undefined) throw new SpecError(`the environment variable ${attrs.passwd_env} (passwd_env) is not set`);
  } else if (attrs.passwd_file !== undefined) {
    const file = allowedSecretFile(attrs.passwd_file, 'passwd_file', policy);
    try {
      password = readFileSync(file, 'utf8').split(/\r?\n/)[0];
    } catch (e) {
      throw new SpecError(`cannot read the password file ${attrs.passwd_file} (passwd_file): ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  let port: number | undefined;
  if (attrs.port !== undefined && attrs.port.trim() !== '') {
    port = Number(attrs.port.trim());
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new SpecError(`invalid port '${attrs.port}'`);
  }
  const opt = (name: string): string | undefined => {
    const v = attrs[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const mycnf = opt('mycnf');
  const attributes = Object.fromEntries(Object.entries(attrs).filter(([k]) => !PASSWORD_ATTRS.has(k)));
  const dsn = text.trim() === '' ? undefined : text.trim();
  return withPassword({
    dbtype, dbname: opt('dbname'), hostname: opt('hostname'), port, user: opt('user'), mycnf: mycnf === undefined ? undefined : allowedSecretFile(mycnf, 'mycnf', policy), mode: opt('mode'), dsn, attributes,
  }, password);
}

/** A spec with a password function; used by drivers that fill in fields (option files). */
export function withPassword(fields: Omit<DatabaseSpec, 'password'>, password: string | undefined): DatabaseSpec {
  const spec = { ...fields } as DatabaseSpec;
  // non-enumerable: JSON.stringify and util.inspect do not show it
  Object.defineProperty(spec, 'password', { value: () => password, enumerable: false });
  return spec;
}

/** Replaces every occurrence of the password in a message (drivers may echo connection strings). */
export function scrub(message: string, password: string | undefined): string {
  if (!password || password.length < 2) return message;
  return message.split(password).join('***');
}

/** A datasource's XML with its passwords masked (the engine's redactSecrets, kept for site code). */
export function redactDatasourceXml(xml: string): string {
  return redactSecrets(xml);
}
