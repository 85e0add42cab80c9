/**
 * Python datasource classes named in the global JSON (spec 2.9.5):
 * `{"datasources": {"MYTYPE": "package.module.Class"}}` makes `<datasource type="MYTYPE">` an
 * instance of that class in the session's Python worker: `setup(xml)` once, then per read
 * `setJSON(global, local)` (when it has one), `isValid()` and `getData()["value"]`.
 */
import { serializeXml } from '@nxsw/core';
import type { DataSource, NxValue, ReadContext, XmlElement } from '@nxsw/core';
import { readError, workerKey } from './requests.js';
import type { PythonRuntime } from './runtime.js';
import type { PythonWorker } from './worker.js';

export class PythonClassSource implements DataSource {
  private readonly key = workerKey('class');
  private readonly xml: string;
  private readonly what: string;
  private worker: PythonWorker | undefined;

  constructor(private readonly classPath: string, private readonly element: XmlElement, private readonly runtime: PythonRuntime) {
    this.xml = serializeXml(element);
    this.what = `the Python datasource class ${classPath} (type ${element.attributes.type ?? '?'})`;
  }

  describe(): string {
    return `Python class ${this.classPath}`;
  }

  async read(ctx: ReadContext): Promise<NxValue> {
    const worker = (this.worker = this.runtime.workerFor(ctx.shared, ctx.settings));
    try {
      return await this.runtime.keyedValue(worker, this.key, ['class', this.key, this.classPath, this.xml],
        ['classdata', this.key, ctx.globalJson, ctx.localJson ?? null], { what: this.what, signal: ctx.signal });
    } catch (e) {
      throw readError(e, this.what, this.element.location);
    }
  }

  async close(): Promise<void> {
    this.worker?.forget(this.key);
  }
}
