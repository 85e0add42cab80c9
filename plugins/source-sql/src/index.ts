export * from './driver.js';
export { DbSourceType, DbSource, DEFAULT_TIMEOUT_MS, type DbSourceOptions } from './source.js';
export { ConnectionPool, type PoolOptions, type Lease } from './pool.js';
export { resultToValue, leafOf, leavesToValue, isoFromSqlText, type QueryFormat } from './convert.js';
export { parseDatabase, withPassword, redactDatasourceXml, scrub, allowedSecretFile, type SecretsPolicy } from './spec.js';
export { abortable } from './drivers/util.js';
export { pgsqlDriver } from './drivers/pgsql.js';
export { mysqlDriver, DEFAULT_MYSQL_SOCKET } from './drivers/mysql.js';
export { readOptionFiles, defaultOptionFiles, type MysqlClientOptions } from './drivers/mysql-options.js';
export { sqliteDriver } from './drivers/sqlite.js';
export { oracleDriver, oracleConnectOptions, ORACLE_PRIVILEGES, type OracleConnectOptions } from './drivers/oracle.js';

import { pgsqlDriver } from './drivers/pgsql.js';
import { mysqlDriver } from './drivers/mysql.js';
import { sqliteDriver } from './drivers/sqlite.js';
import { oracleDriver } from './drivers/oracle.js';
import type { SqlDriver } from './driver.js';

export const builtinDrivers: readonly SqlDriver[] = [mysqlDriver, pgsqlDriver, oracleDriver, sqliteDriver];
