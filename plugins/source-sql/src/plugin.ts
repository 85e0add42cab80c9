/** Plugin entry: the four built-in SQL drivers and the DB datasource type. */
import { definePlugin } from '@nxsw/core';
import { SQL_DRIVER_KIND, type SqlDriver } from './driver.js';
import { DbSourceType } from './source.js';
import type { SecretsPolicy } from './spec.js';
import { builtinDrivers } from './index.js';

export default definePlugin({
  register(ctx) {
    for (const d of builtinDrivers) ctx.provide(d);
    const o = ctx.options as { timeoutMs?: number; poolSize?: number; connectTimeoutMs?: number; idleTimeoutMs?: number } & SecretsPolicy;
    ctx.provide(new DbSourceType({
      // looked up when a source is created, so drivers of plugins loaded later are found too
      findDriver: (dbtype) => ctx.extensions.find<SqlDriver>(SQL_DRIVER_KIND, dbtype),
      timeoutMs: o.timeoutMs,
      poolSize: o.poolSize,
      connectTimeoutMs: o.connectTimeoutMs,
      idleTimeoutMs: o.idleTimeoutMs,
      secrets: { secretsDir: o.secretsDir, passwordEnvPrefix: o.passwordEnvPrefix, passwordEnvNames: o.passwordEnvNames },
      log: ctx.log,
    }));
  },
});
