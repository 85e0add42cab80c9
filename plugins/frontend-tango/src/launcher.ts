/**
 * The NXSDataWriter executable (bin/NXSDataWriter) that Tango's Starter runs from StartDsPath:
 * takes the standard Tango server command line, names the process "NXSDataWriter INSTANCE"
 * (Starter finds running servers by their command line in /proc), serves until SIGTERM/SIGINT
 * or the admin device's Kill (what Starter's DevStop sends), then unexports and exits.
 */
import { Kernel, errorMessage, stderrLogger, type Logger } from '@nxsw/core';
import { tangoServerArgs } from './args.js';
import { TangoFrontEnd } from './frontend.js';

const warningsOnly: Logger = { debug() {}, info() {}, warn: (m) => stderrLogger.warn(m), error: (m) => stderrLogger.error(m) };

async function main(argv: string[]): Promise<number> {
  const { serve, verbosity } = tangoServerArgs(argv);
  process.title = `NXSDataWriter ${serve[serve.indexOf('--instance') + 1]}`;
  const kernel = await Kernel.start({ log: verbosity > 0 ? stderrLogger : warningsOnly });
  const running = await new TangoFrontEnd().start(kernel, serve);
  process.stderr.write(`${running.description}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await running.stop();
  await kernel.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => { process.exit(code); },
  (e: unknown) => {
    process.stderr.write(`NXSDataWriter: ${errorMessage(e)}\n`);
    process.exit(1);
  },
);
