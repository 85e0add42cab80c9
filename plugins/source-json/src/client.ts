/**
 * The CLIENT datasource: values the control client sends as JSON, looked up by record name in the
 * local (Record argument) then global (JSONRecord) "data" (spec 5.3).
 */
import { ConfigError, NxswError, childElement, valueFromJs } from '@nxsw/core';
import type { DataSource, DataSourceType, ElementType, JsonRecord, NxValue, ReadContext, XmlElement } from '@nxsw/core';

function lookup(record: JsonRecord | undefined, key: string): unknown {
  const data = record?.data;
  if (!data) return undefined;
  const v = data[key];
  return v === null ? undefined : v;
}

export class ClientSource implements DataSource {
  private readonly keys: string[];

  constructor(readonly record: string) {
    const lower = record.toLowerCase();
    this.keys = lower === record ? [record] : [record, lower];
  }

  describe(): string {
    return `CLIENT record ${this.record}`;
  }

  read(ctx: ReadContext, want?: ElementType): Promise<NxValue> {
    for (const k of this.keys) {
      let v = lookup(ctx.localJson, k);
      if (v === undefined) v = lookup(ctx.globalJson, k);
      if (v !== undefined) {
        try {
          return Promise.resolve(valueFromJs(v, want));
        } catch (e) {
          return Promise.reject(new NxswError('VALUE_INVALID', `the value of "${k}" cannot be stored: ${(e as Error).message}`));
        }
      }
    }
    return Promise.reject(new NxswError('DATA_NOT_FOUND', 'Data without value'));
  }
}

export class ClientSourceType implements DataSourceType {
  readonly kind = 'datasource';
  readonly name = 'CLIENT';

  create(element: XmlElement): DataSource {
    const record = childElement(element, 'record')?.attributes.name?.trim();
    if (!record) throw new ConfigError('DATASOURCE_CONFIG', 'Client record name not defined: a CLIENT datasource needs <record name="KEY"/>', element.location);
    return new ClientSource(record);
  }
}
