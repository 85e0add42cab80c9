/** Parsing of `<database>` and credential handling. */
import { readFileSync } from 'node:fs';
import type { DatabaseSpec } from './driver.js';

const PASSWORD_ATTRS = new Set(['passwd', 'passwd_env', 'passwd_file']);

/** Thrown for a configuration problem; the DB type turns it into a ConfigError with the location. */
export class SpecError extends Error {}

/**
 * Builds a DatabaseSpec from the element's attributes and text. The password comes from `passwd`,
 * the environment variable named by `passwd_env`, or the file named by `passwd_file` (first line).
 */
export function parseDatabase(attrs: Readonly<Record<string, string>>, text: string, env: NodeJS.ProcessEnv = process.env): DatabaseSpec {
  const dbtype = attrs.dbtype?.trim();
  if (!dbtype) throw new SpecError('Database type (dbtype) not defined');
  const given = [...PASSWORD_ATTRS].filter((a) => attrs[a] !== undefined);
  if (given.length > 1) throw new SpecError(`give only one of ${given.join(', ')}`);
  let password: string | undefined;
  if (attrs.passwd !== undefined) password = attrs.passwd;
  else if (attrs.passwd_env !== undefined) {
    password = env[attrs.passwd_env];
    if (password === undefined) throw new SpecError(`the environment variable ${attrs.passwd_env} (passwd_env) is not set`);
  } else if (attrs.passwd_file !== undefined) {
    try {
      password = readFileSync(attrs.passwd_file, 'utf8').split(/\r?\n/)[0];
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
  const attributes = Object.fromEntries(Object.entries(attrs).filter(([k]) => !PASSWORD_ATTRS.has(k)));
  const dsn = text.trim() === '' ? undefined : text.trim();
  return withPassword({
    dbtype, dbname: opt('dbname'), hostname: opt('hostname'), port, user: opt('user'), mycnf: opt('mycnf'), mode: opt('mode'), dsn, attributes,
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

/**
 * Replaces the values of `passwd` attributes in a datasource's XML with `***`, for the copy the
 * engine writes into the file's `nexdatas_source` attribute.
 */
export function redactDatasourceXml(xml: string): string {
  return xml.replace(/(\spasswd\s*=\s*)("[^"]*"|'[^']*')/g, (_m, lead: string, quoted: string) => `${lead}${quoted[0]}***${quoted[0]}`);
}
