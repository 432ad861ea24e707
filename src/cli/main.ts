#!/usr/bin/env node
// The `smallworld` command. Every subcommand except `start` and `peer` is a thin client of the daemon's
// control socket, so it works the same against the simulator and a real device. Each command imports only
// what it runs: the daemon does not load the web server or the SSB libraries, the peer not the daemon's
// radios, and a client command neither (cold start, issue 17).
//
// This file routes a command to its file (bundled-commands.ts for `start` and `peer`, device-commands.ts, wifi-command.ts, ssb-commands.ts,
// sim-command.ts; the installer's in install/cli.ts) and turns every error into its message and exit code. It
// imports each only when its command runs, so that `start` forks the peer before anything else loads
// (early-peer.ts).
import { EXIT, UsageError } from './arguments.js';
import { asksForHelp, USAGE, usageOf } from './usage.js';

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
    case 'start': {
      const earlyPeer = await (await import('./early-peer.js')).forkPeerEarly(rest);
      return (await import('./bundled-commands.js')).start(rest, earlyPeer);
    }
    case 'peer':
      return (await import('./bundled-commands.js')).peer(rest);
    case 'status':
      return (await import('./device-commands.js')).status(rest);
    case 'press':
      return (await import('./device-commands.js')).oneWord(rest, ['ap', 'wps'], (button) => ({
        cmd: 'press',
        button,
      }));
    case 'ap':
      return (await import('./device-commands.js')).oneWord(rest, ['on', 'off'], (word) => ({
        cmd: 'ap',
        on: word === 'on',
      }));
    case 'wps':
      return (await import('./device-commands.js')).wpsCommand(rest);
    case 'keys':
      return (await import('./device-commands.js')).keys(rest);
    case 'install':
      return (await import('../install/cli.js')).runInstallCommand(rest);
    case 'uninstall':
      return (await import('../install/cli.js')).runUninstallCommand(rest);
    case 'wifi':
      return (await import('./wifi-command.js')).wifi(rest);
    case 'ssb':
      return (await import('./ssb-commands.js')).ssbCommand(rest);
    case 'sim':
      return (await import('./sim-command.js')).sim(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/**
 * Whether `error` is one of the named error classes. By name as well as by `instanceof`: `start` and `peer` run
 * from their bundles (bundled-commands.ts), whose errors are instances of the bundles' own copies of the classes.
 */
function isNamed(error: unknown, ...names: string[]): error is Error {
  return error instanceof Error && names.includes(error.name);
}

/** Every error as its message and exit code (the error classes loaded only now, when there is one). */
async function report(error: unknown): Promise<void> {
  const [{ RemoteError, SocketUnreachableError }, { ConfigError }] = await Promise.all([
    import('../control/client.js'),
    import('../config/config.js'),
  ]);
  const unreachable = ['SocketUnreachableError', 'DaemonNotRunningError', 'PeerNotRunningError'];
  if (error instanceof SocketUnreachableError || isNamed(error, ...unreachable)) {
    process.stderr.write(`smallworld: ${error.message}\n`);
    process.exitCode = EXIT.noDaemon;
  } else if (
    error instanceof UsageError ||
    isNamed(error, 'UsageError') ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`smallworld: ${(error as Error).message}\n\n${USAGE}`);
    process.exitCode = EXIT.usage;
  } else if (
    error instanceof RemoteError ||
    error instanceof ConfigError ||
    isNamed(error, 'RemoteError', 'ConfigError')
  ) {
    process.stderr.write(`smallworld: ${error.message}\n`);
    process.exitCode = EXIT.failed;
  } else {
    process.stderr.write(`smallworld: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = EXIT.failed;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => report(error),
);
