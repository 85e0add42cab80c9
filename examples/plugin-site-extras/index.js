// An out-of-tree nxsw plugin, written as a site would write one: plain JavaScript against the
// public API of @nxsw/core, installed with npm, discovered through the `nxsw` key of package.json.
import { definePlugin, ConfigError, NxswError, childElement, stringValue, nexusTime } from '@nxsw/core';

/** <datasource type="ENV"><record name="USER"/></datasource>: the value of an environment variable */
function envSourceType(allow) {
  return {
    kind: 'datasource',
    name: 'ENV',
    create(element) {
      const variable = childElement(element, 'record')?.attributes.name?.trim();
      if (!variable) throw new ConfigError('DATASOURCE_CONFIG', 'an ENV datasource needs <record name="VARIABLE"/>', element.location);
      if (allow && !allow.includes(variable)) throw new ConfigError('DATASOURCE_CONFIG', `the ENV source may not read ${variable} (allowed: ${allow.join(', ')})`, element.location);
      return {
        describe: () => `ENV variable ${variable}`,
        read: async () => {
          const v = process.env[variable];
          if (v === undefined) throw new NxswError('DATA_NOT_FOUND', `the environment variable ${variable} is not set`);
          return stringValue(v);
        },
      };
    },
  };
}

/** <timestamp name="configured_at"/>: a string field holding the time the configuration was read */
const timestampTag = {
  kind: 'tag',
  name: 'timestamp',
  parents: ['group'],
  build(el, ctx) {
    const name = el.attributes.name?.trim();
    if (!name) ctx.fail(el, '<timestamp> needs a name');
    return {
      kind: 'node',
      node: {
        kind: 'field', name, nxType: 'NX_DATE_TIME', type: 'string', dimensions: undefined, text: '', source: undefined, strategy: undefined,
        el, xmlAttributes: { type: 'NX_DATE_TIME' }, attributes: [], staticValue: stringValue(nexusTime()),
      },
    };
  },
};

export default definePlugin({
  register(ctx) {
    ctx.provide(envSourceType(ctx.options.allow));
    ctx.provide(timestampTag);
  },
});
