#!/usr/bin/env node
// The `smallworld` command. Every subcommand except `start` and `peer` is a thin client of the daemon's
// control socket, so it works the same against the simulator and a real device. Each command imports only
// what it runs: the daemon does not load the web server or the SSB libraries, the peer not the daemon's
// radios, and a client command neither (cold start, issue 17).
//
// This file routes a command to its file (processes.ts, device-commands.ts, wifi-command.ts, ssb-commands.ts,
// sim-command.ts; the installer's in install/cli.ts) and turns every error into its message and exit code.
import { ConfigError } from '../config/config.js';
import { RemoteError, SocketUnreachableError } from '../control/client.js';
import { EXIT, UsageError } from './arguments.js';
import { keys, oneWord, status, wpsCommand } from './device-commands.js';
import { peer, start } from './processes.js';
import { sim } from './sim-command.js';
import { ssbCommand } from './ssb-commands.js';
import { asksForHelp, USAGE, usageOf } from './usage.js';
import { wifi } from './wifi-command.js';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command !== 'install' && command !== 'uninstall' && asksForHelp(rest)) {
    process.stdout.write(usageOf(command));
    return EXIT.ok;
  }
  switch (command) {
    case 'start':
      return start(rest);
    case 'peer':
      return peer(rest);
    case 'status':
      return status(rest);
    case 'press':
      return oneWord(rest, ['ap', 'wps'], (button) => ({ cmd: 'press', button }));
    case 'ap':
      return oneWord(rest, ['on', 'off'], (word) => ({ cmd: 'ap', on: word === 'on' }));
    case 'wps':
      return wpsCommand(rest);
    case 'keys':
      return keys(rest);
    case 'install':
      return (await import('../install/cli.js')).runInstallCommand(rest);
    case 'uninstall':
      return (await import('../install/cli.js')).runUninstallCommand(rest);
    case 'wifi':
      return wifi(rest);
    case 'ssb':
      return ssbCommand(rest);
    case 'sim':
      return sim(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof SocketUnreachableError) {
      process.stderr.write(`smallworld: ${error.message}\n`);
      process.exitCode = EXIT.noDaemon;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`smallworld: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof RemoteError || error instanceof ConfigError) {
      process.stderr.write(`smallworld: ${error.message}\n`);
      process.exitCode = EXIT.failed;
    } else {
      process.stderr.write(`smallworld: ${(error as Error)?.message ?? String(error)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
