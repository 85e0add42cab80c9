#!/usr/bin/env -S node --no-node-snapshot
/**
 * The nxsw command line: `nxsw write`, `nxsw check`, `nxsw validate`, `nxsw plugins`, `nxsw serve`. Exit codes: 0 success,
 * 1 the job failed (the message says why), 2 the command line is wrong.
 */
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NxswError, errorMessage } from '../api/errors.js';
import type { ExtensionKind, FrontEnd } from '../api/extensions.js';
import { Kernel, stderrLogger } from '../kernel/kernel.js';
import { kernelOptions } from './options.js';
import { printPlugins } from './plugins.js';
import { runWrite, runCheck } from './write.js';
import { readerFor, runValidate, setAsideSinkPlugins } from './nxdl.js';
import { NXSW_VERSION } from '../version.js';

const HELP = `nxsw ${NXSW_VERSION} — writes NeXus (HDF5) files from an NXDL-like XML configuration

Usage:
  nxsw write CONFIG.xml --output OUT.nxs[:/nexus/parent/path] [options]
  nxsw check CONFIG.xml [--app NAME] [--nxdl DIR] [--json]
                                      validate a configuration without writing anything
  nxsw validate FILE.nxs [--app NAME] [--nxdl DIR] [--json]
                                      validate a written file against its application definitions
  nxsw plugins [--json]
  nxsw serve [front-end options]      run a control front end (e.g. the Tango device server)
  nxsw serve --http [HOST:]PORT [...] the read-only live view (status, H5Web), alone or beside it
  nxsw --help | --version

write: runs OpenFile → OpenEntry → Record×N → CloseEntry → CloseFile.
  CONFIG.xml                 the XML configuration, '-' for standard input
  -o, --output FILE[:/path]  output file, optionally with a NeXus parent path (/entry12:NXentry/NXsample)
  -g, --global FILE          global JSON record, set before OpenEntry (JSONRecord)
  -r, --records FILE         JSON lines; each line is the argument of one Record ('-' for stdin)
  -f, --final FILE           global JSON record set before CloseEntry
      --steps-per-file N     split the scan into files of N records each
      --can-fail             set the global CanFail flag (default off)
      --no-logs              do not write /nexus_logs/configuration
      --swmr                 SWMR mode, so viewers can follow the file while it is written
      --metadata             also write OUT.nxs.<entry>.json: SciCat metadata of each NXentry
                             (as MetadataOutput "file" in the Tango server)
      --flush-interval MS    flush every MS milliseconds instead of after every Record
      --http [HOST:]PORT     serve the live view (status page, H5Web) while writing; the session is
                             named 'write'; HOST defaults to 127.0.0.1
      --keep-serving         with --http: after the scan, keep the live view of the closed file up
                             until Ctrl-C (SIGINT or SIGTERM)
      --json                 print the summary as JSON

check: parses and validates CONFIG (every tag, every datasource's own configuration) and prints
  what it would write; exit 1 with the line, column and element of the first error. Then checks
  every NXentry/NXsubentry whose definition field names an application definition (NXmx, ...):
  what the file would lack or get wrong, with the configuration's and the definition's paths;
  exit 1 when an application definition is not met (base-class findings are warnings).
      --app NAME             check every NXentry against this application definition
      --nxdl DIR             NeXus definitions (base_classes/, applications/, contributed_definitions/)
                             instead of the copy shipped with nxsw

validate: the same checks on a written file (structure, attributes; small values only).

plugins: lists every discovered plugin: name, version, API range, what it provides, status.

Options for every command:
  --plugin PATH|NAME         load a plugin (repeatable); also NXSW_PLUGINS=a,b
  --choose KIND:NAME=PLUGIN  which plugin wins when two provide the same extension; also NXSW_CHOOSE=a,b
  --config FILE              server configuration (JSON: plugins, choose, pluginOptions, disable, limits)
  --plugin-option PLUGIN.KEY=VALUE
                             one plugin option (repeatable; over the configuration's pluginOptions),
                             e.g. @nxsw/source-python.python=/usr/bin/python3; VALUE is JSON or text
  --limit NAME=N             an input limit (xmlBytes, xmlDepth, xmlElements, xmlAttributes, rank,
                             valueElements, jsonBytes, jsonDepth; repeatable; see docs/limits.md)
  -v, --verbose              log warnings and details to stderr

Exit codes: 0 success, 1 the job failed, 2 bad command line.
`;

/** what a writer session uses; front ends are for `serve` (and `write --http`) */
const SESSION_KINDS: ExtensionKind[] = ['datasource', 'tag', 'decoder', 'sink'];

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write(`${NXSW_VERSION}\n`);
    return 0;
  }
  const common = {
    plugin: { type: 'string', multiple: true },
    choose: { type: 'string', multiple: true },
    config: { type: 'string' },
    'plugin-option': { type: 'string', multiple: true },
    limit: { type: 'string', multiple: true },
    verbose: { type: 'boolean', short: 'v', default: false },
    help: { type: 'boolean', short: 'h', default: false },
    json: { type: 'boolean', default: false },
  } as const;

  if (command === 'plugins') {
    const { values } = parseArgs({ args: argv.slice(1), options: common, allowPositionals: false });
    if (values.help) return help();
    const kernel = await Kernel.start({ ...kernelOptions(values), log: values.verbose ? stderrLogger : undefined });
    return printPlugins(kernel, values.json);
  }

  const nxdlOptions = { app: { type: 'string' }, nxdl: { type: 'string' } } as const;

  if (command === 'check') {
    const { values, positionals } = parseArgs({ args: argv.slice(1), options: { ...common, ...nxdlOptions }, allowPositionals: true });
    if (values.help) return help();
    if (positionals.length !== 1) throw usage(`check needs exactly one CONFIG argument (got ${positionals.length})`);
    const kernel = await Kernel.start({ ...kernelOptions(values), kinds: SESSION_KINDS, log: values.verbose ? stderrLogger : quietButWarn });
    try {
      return await runCheck(kernel, positionals[0]!, values.json, { app: values.app, nxdl: values.nxdl });
    } finally {
      await kernel.stop();
    }
  }

  if (command === 'validate') {
    const { values, positionals } = parseArgs({ args: argv.slice(1), options: { ...common, ...nxdlOptions }, allowPositionals: true });
    if (values.help) return help();
    if (positionals.length !== 1) throw usage(`validate needs exactly one FILE argument (got ${positionals.length})`);
    // validate uses a sink's reader only: other plugins' warnings (and the refusal of the sink set
    // aside below) are noise here unless asked for
    // only the sinks are imported, not the front ends and sources
    const options = { ...kernelOptions(values), kinds: ['sink'], log: values.verbose ? stderrLogger : { ...quietButWarn, warn() {} } };
    let kernel = await Kernel.start(options);
    const aside = readerFor(kernel, positionals[0]!) ? [] : setAsideSinkPlugins(kernel);
    if (aside.length) {
      // the sink serving the format writes but cannot read back: take the one set aside for it
      await kernel.stop();
      kernel = await Kernel.start({ ...options, choose: { ...options.choose, ...Object.fromEntries(aside.map((a) => [a.choose, a.plugin])) } });
    }
    try {
      return await runValidate(kernel, positionals[0]!, { app: values.app, nxdl: values.nxdl, json: values.json });
    } finally {
      await kernel.stop();
    }
  }

  if (command === 'write') {
    const { values, positionals } = parseArgs({
      args: argv.slice(1), allowPositionals: true,
      options: {
        ...common,
        output: { type: 'string', short: 'o' },
        global: { type: 'string', short: 'g' },
        records: { type: 'string', short: 'r' },
        final: { type: 'string', short: 'f' },
        'steps-per-file': { type: 'string' },
        'can-fail': { type: 'boolean', default: false },
        'no-logs': { type: 'boolean', default: false },
        swmr: { type: 'boolean', default: false },
        metadata: { type: 'boolean', default: false },
        'flush-interval': { type: 'string' },
        http: { type: 'string' },
        'keep-serving': { type: 'boolean', default: false },
      },
    });
    if (values.help) return help();
    if (positionals.length !== 1) throw usage(`write needs exactly one CONFIG argument (got ${positionals.length})`);
    if (!values.output) throw usage('write needs --output FILE');
    const steps = values['steps-per-file'] === undefined ? undefined : Number(values['steps-per-file']);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 0)) throw usage(`--steps-per-file must be a non-negative integer, not '${values['steps-per-file']}'`);
    const interval = values['flush-interval'] === undefined ? undefined : Number(values['flush-interval']);
    if (interval !== undefined && (!Number.isFinite(interval) || interval <= 0)) throw usage(`--flush-interval must be a positive number of milliseconds`);
    if (values['keep-serving'] && values.http === undefined) throw usage('--keep-serving needs --http');
    const kinds = values.http === undefined ? SESSION_KINDS : [...SESSION_KINDS, 'frontend'];
    const kernel = await Kernel.start({ ...kernelOptions(values), kinds, log: values.verbose ? stderrLogger : quietButWarn });
    const live = values.http === undefined ? undefined : await httpFrontEnd(kernel).start(kernel, ['--http', values.http]);
    if (live) process.stderr.write(`${live.description}\n`);
    try {
      const code = await runWrite(kernel, {
        config: positionals[0]!, output: values.output, global: values.global, records: values.records, final: values.final,
        stepsPerFile: steps, canFail: values['can-fail'], logs: !values['no-logs'], swmr: values.swmr, metadata: values.metadata, flushIntervalMs: interval, json: values.json,
      });
      if (live && values['keep-serving']) {
        process.stderr.write('nxsw: the scan is closed; its live view stays up until Ctrl-C\n');
        await new Promise((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
      }
      return code;
    } finally {
      await live?.stop();
      await kernel.stop();
    }
  }

  if (command === 'serve') {
    const { http, rest } = takeHttpOptions(argv.slice(1));
    const { values, tokens } = parseArgs({ args: rest, options: { ...common, frontend: { type: 'string' } }, strict: false, tokens: true });
    const kernel = await Kernel.start({ ...kernelOptions(values as never), log: stderrLogger });
    const fronts = kernel.list<FrontEnd>('frontend').filter((f) => f.name !== 'http');
    const name = typeof values.frontend === 'string' ? values.frontend : fronts[0]?.name;
    // with --http alone only the live view runs; any other front-end option starts that front end beside it
    const ownOptions = tokens.some((t) => t.kind === 'option' && !(t.name in common)) || rest.some((a) => !a.startsWith('-'));
    const startMain = http.length === 0 || ownOptions;
    const fe = fronts.find((f) => f.name === name);
    if (startMain && !fe) throw new NxswError('PLUGIN_REFUSED', `no front end ${name ? `named '${name}' ` : ''}is installed (installed: ${fronts.map((f) => f.name).join(', ') || 'none'})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      const texts = [fe?.usage ?? `the front end '${name}' has no help text`, kernel.find<FrontEnd>('frontend', 'http')?.usage];
      for (const t of texts) if (t) process.stdout.write(t.endsWith('\n') ? t : `${t}\n`);
      return 0;
    }
    const running = [];
    try {
      if (http.length > 0) running.push(await httpFrontEnd(kernel).start(kernel, http));
      if (startMain) running.push(await fe!.start(kernel, rest));
    } catch (e) {
      for (const r of running) await r.stop();
      throw e;
    }
    for (const r of running) process.stderr.write(`${r.description}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    for (const r of running.reverse()) await r.stop();
    await kernel.stop();
    return 0;
  }
  throw usage(`unknown command '${command}' (write, check, validate, plugins, serve; see nxsw --help)`);
}

/** `--http [HOST:]PORT` and `--max-elements N` belong to the live view (the http front end) */
function takeHttpOptions(args: readonly string[]): { http: string[]; rest: string[] } {
  const http: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const flag = ['--http', '--max-elements'].find((f) => a === f || a.startsWith(`${f}=`));
    if (!flag) rest.push(a);
    else if (a === flag) {
      if (i + 1 >= args.length) throw usage(`${flag} needs a value`);
      http.push(flag, args[++i]!);
    } else http.push(flag, a.slice(flag.length + 1));
  }
  if (http.length > 0 && !http.includes('--http')) throw usage('--max-elements needs --http');
  return { http, rest };
}

function httpFrontEnd(kernel: Kernel): FrontEnd {
  const fe = kernel.find<FrontEnd>('frontend', 'http');
  if (!fe) throw new NxswError('PLUGIN_REFUSED', `--http needs the live view plugin @nxsw/frontend-http, which is not installed (installed front ends: ${kernel.names('frontend').join(', ') || 'none'})`);
  return fe;
}

class UsageError extends Error {}
function usage(msg: string): UsageError {
  return new UsageError(msg);
}
function help(): number {
  process.stdout.write(HELP);
  return 0;
}

/** by default only warnings reach stderr (canfail fills, refused plugins) */
const quietButWarn = { ...stderrLogger, info() {}, debug() {} };

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    if (e instanceof UsageError || (e as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')) {
      process.stderr.write(`nxsw: ${errorMessage(e)}\n(see nxsw --help)\n`);
      process.exitCode = 2;
      return;
    }
    const code = e instanceof NxswError ? ` [${e.code}]` : '';
    process.stderr.write(`nxsw: error${code}: ${errorMessage(e)}\n`);
    if (process.env.NXSW_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = 1;
  },
);
