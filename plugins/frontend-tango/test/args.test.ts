// The `nxsw serve` command line of the Tango front end, and the device property parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { silentLogger } from '@nxsw/core';
import { iorToObjectRef } from '@nxsw/tango-wire';
import { DeviceServer } from '@nxsw/tango-wire/server';
import { parseServeArgs, parseProperties, DEFAULT_PROPERTIES, PROPERTY_NAMES, PROPERTY_WIZARD } from '../src/index.js';

test('no-database mode: defaults and repeated options', () => {
  const o = parseServeArgs(['--nodb', '--device', 'a/b/1', '--device', 'a/b/2', '--property', 'DefaultCanFail=false', '-v', '--plugin', 'x']);
  assert.equal(o.nodb, true);
  assert.equal(o.port, 10123);
  assert.deepEqual(o.devices, ['a/b/1', 'a/b/2']);
  assert.deepEqual(o.properties.get('DefaultCanFail'), ['false']);
  assert.deepEqual(parseServeArgs(['--nodb']).devices, ['test/nxsw/1']);
});

test('the CLI options for every command pass through (nxsw --help: "Options for every command")', () => {
  const o = parseServeArgs(['--nodb', '--plugin-option', '@nxsw/source-python.python=/usr/bin/python3', '--choose', 'sink:HDF5=@nxsw/sink-hdf5', '--config', 'nxsw.json', '--limit', 'rank=8', '--verbose']);
  assert.equal(o.nodb, true);
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
  refused(['--nodb', '--listen-host', '127.0.0.1', '--host', '10.0.0.1'], /two different addresses/);
  refused(['--nodb', '--max-connections', '0'], /--max-connections must be an integer ≥ 1, not '0'/);
  refused(['--nodb', '--max-connection-memory', '1k'], /--max-connection-memory must be an integer/);
  refused(['--nodb', '--idle-timeout=-1'], /--idle-timeout must be a number of seconds/);
});

test('--listen-host (default: all interfaces) and the connection bounds', () => {
  const d = parseServeArgs(['--nodb']);
  assert.equal(d.listenHost, undefined);
  assert.deepEqual([d.maxConnections, d.maxConnectionBytes, d.idleTimeoutMs], [undefined, undefined, undefined]);
  assert.equal(parseServeArgs(['--nodb', '--listen-host', '192.168.7.2']).listenHost, '192.168.7.2');
  assert.equal(parseServeArgs(['--nodb', '--host', '192.168.7.2']).listenHost, '192.168.7.2', '--host is the same option');
  const o = parseServeArgs(['--nodb', '--max-connections', '16', '--max-connection-memory', '1048576', '--idle-timeout', '2.5', '--limit', 'rank=8']);
  assert.deepEqual([o.maxConnections, o.maxConnectionBytes, o.idleTimeoutMs], [16, 1048576, 2500]);
  assert.deepEqual(o.limits, { rank: '8' });
});

test('the IOR carries a reachable host: the listen address when it is one, else the machine name', () => {
  const hostOf = (listenHost: string | undefined, publishHost?: string) =>
    iorToObjectRef(new DeviceServer({ serverName: 'X/y', port: 0, listenHost, publishHost }).ior('a/b/c')).host;
  assert.equal(hostOf('127.0.0.1'), '127.0.0.1');
  assert.equal(hostOf(undefined), hostname());
  assert.equal(hostOf('0.0.0.0'), hostname());
  assert.equal(hostOf('::'), hostname());
  assert.equal(hostOf('127.0.0.1', 'beamline-pc'), 'beamline-pc', '--publish-host wins');
});

test('device properties: typed, case-insensitive, invalid values fall back to the defaults', () => {
  const p = parseProperties(new Map([['defaultcanfail', ['False']], ['AddingLogs', ['0']], ['MaxRecordRuntime', ['0.5']], ['NumberOfThreads', ['x']], ['PythonInterpreter', [' /usr/bin/python3 ']]]), 'a/b/c', silentLogger);
  assert.equal(p.defaultCanFail, false);
  assert.equal(p.addingLogs, false);
  assert.equal(p.maxRecordRuntime, 0.5);
  assert.equal(p.numberOfThreads, DEFAULT_PROPERTIES.numberOfThreads);
  assert.equal(p.pythonInterpreter, '/usr/bin/python3');
  assert.equal(parseProperties(new Map(), 'a/b/c', silentLogger).defaultCanFail, true);
  const nxdl = parseProperties(new Map([['nxdlstrict', ['true']], ['NXDLDirectory', [' /site/nxdl ']]]), 'a/b/c', silentLogger);
  assert.deepEqual([nxdl.nxdlStrict, nxdl.nxdlDirectory], [true, '/site/nxdl']);
  assert.deepEqual([DEFAULT_PROPERTIES.nxdlStrict, DEFAULT_PROPERTIES.nxdlDirectory], [false, '']);
});

test('the wizard lists every property with the default the device uses', () => {
  assert.deepEqual([...PROPERTY_NAMES], PROPERTY_WIZARD.map((p) => p.name));
  const wizardDefaults = new Map(PROPERTY_WIZARD.map((p) => [p.name, [p.default ?? '']]));
  assert.deepEqual(parseProperties(wizardDefaults, 'a/b/c', silentLogger), DEFAULT_PROPERTIES);
});
