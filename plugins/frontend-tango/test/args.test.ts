// The `nxsw serve` command line of the Tango front end, and the device property parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '@nxsw/core';
import { parseServeArgs, parseProperties, DEFAULT_PROPERTIES } from '../src/index.js';

test('no-database mode: defaults and repeated options', () => {
  const o = parseServeArgs(['--nodb', '--device', 'a/b/1', '--device', 'a/b/2', '--property', 'DefaultCanFail=false', '-v', '--plugin', 'x']);
  assert.equal(o.nodb, true);
  assert.equal(o.port, 10123);
  assert.deepEqual(o.devices, ['a/b/1', 'a/b/2']);
  assert.deepEqual(o.properties.get('DefaultCanFail'), ['false']);
  assert.deepEqual(parseServeArgs(['--nodb']).devices, ['test/nxsw/1']);
});

test('database mode: the instance from --instance or the positional, port 0 by default', () => {
  assert.equal(parseServeArgs(['--instance', 'p09']).instance, 'p09');
  const o = parseServeArgs(['p09', '--tango-host', 'db:10000', '--flush-interval', '500']);
  assert.equal(o.instance, 'p09');
  assert.equal(o.port, 0);
  assert.deepEqual(o.tangoHost, { host: 'db', port: 10000 });
  assert.equal(o.flushIntervalMs, 500);
});

test('bad command lines are refused with a reason', () => {
  const refused = (args: string[], re: RegExp) => assert.throws(() => parseServeArgs(args), (e: Error) => re.test(e.message));
  refused([], /instance name/);
  refused(['--nodb', '--port', '70000'], /--port/);
  refused(['--nodb', '--device', 'notadevice'], /domain\/family\/member/);
  refused(['--nodb', '--device', 'a/b/c', '--device', 'A/B/C'], /twice/);
  refused(['x', '--property', 'A=1'], /without a database/);
  refused(['--nodb', '--property', 'novalue'], /Name=value/);
  refused(['--nodb', '--bogus'], /bogus/);
});

test('device properties: typed, case-insensitive, invalid values fall back to the defaults', () => {
  const p = parseProperties(new Map([['defaultcanfail', ['False']], ['AddingLogs', ['0']], ['MaxRecordRuntime', ['0.5']], ['NumberOfThreads', ['x']]]), 'a/b/c', silentLogger);
  assert.equal(p.defaultCanFail, false);
  assert.equal(p.addingLogs, false);
  assert.equal(p.maxRecordRuntime, 0.5);
  assert.equal(p.numberOfThreads, DEFAULT_PROPERTIES.numberOfThreads);
  assert.equal(parseProperties(new Map(), 'a/b/c', silentLogger).defaultCanFail, true);
  const nxdl = parseProperties(new Map([['nxdlstrict', ['true']], ['NXDLDirectory', [' /site/nxdl ']]]), 'a/b/c', silentLogger);
  assert.deepEqual([nxdl.nxdlStrict, nxdl.nxdlDirectory], [true, '/site/nxdl']);
  assert.deepEqual([DEFAULT_PROPERTIES.nxdlStrict, DEFAULT_PROPERTIES.nxdlDirectory], [false, '']);
});
