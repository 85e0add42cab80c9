/**
 * MySQL option files, read the way the client library (MariaDB Connector/C, which Debian's MySQL
 * clients use, and so the reference's MySQLdb) reads them: without an explicit file the default
 * files in order, later values overriding earlier ones; an explicit file (read_default_file) alone.
 * The groups a client reads are [client], [client-server] and [client-mariadb]; `!include FILE`
 * and `!includedir DIR` (its *.cnf files, in name order) are followed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface MysqlClientOptions {
  user?: string;
  password?: string;
  host?: string;
  port?: number;
  database?: string;
  /** the unix socket a `localhost` connection uses */
  socket?: string;
}

const CLIENT_GROUPS = new Set(['client', 'client-server', 'client-mariadb']);
const KEYS = new Set(['user', 'password', 'host', 'port', 'database', 'socket']);

/** The client library's default option files, in the order it reads them. */
export function defaultOptionFiles(home: string = homedir()): string[] {
  return ['/etc/my.cnf', '/etc/mysql/my.cnf', join(home, '.my.cnf')];
}

/**
 * Reads the client options of the given files. A missing file is skipped unless `required` (an
 * explicit `mycnf`), which throws an error naming it.
 */
export function readOptionFiles(files: readonly string[], required = false): MysqlClientOptions {
  const out: MysqlClientOptions = {};
  for (const f of files) {
    if (!required && !existsSync(f)) continue;
    readInto(f, out, 0);
  }
  return out;
}

function readInto(file: string, out: MysqlClientOptions, depth: number): void {
  if (depth > 10) throw new Error(`option file ${file}: includes nested more than 10 deep`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read the option file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let group = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const include = /^!include(dir)?\s+(.+)$/.exec(line);
    if (include) {
      const target = resolve(dirname(file), include[2]!.trim());
      if (!include[1]) {
        if (existsSync(target)) readInto(target, out, depth + 1);
      } else if (existsSync(target)) {
        for (const name of readdirSync(target).filter((n) => n.endsWith('.cnf')).sort()) readInto(join(target, name), out, depth + 1);
      }
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      group = header[1]!.trim().toLowerCase();
      continue;
    }
    if (!CLIENT_GROUPS.has(group)) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().toLowerCase().replace(/_/g, '-');
    if (!KEYS.has(key)) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.endsWith(value[0]!)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    if (key === 'port') {
      if (/^\d+$/.test(value)) out.port = Number(value);
    } else out[key as Exclude<keyof MysqlClientOptions, 'port'>] = value;
  }
}
