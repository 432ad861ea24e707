// `smallworld install` and `smallworld uninstall`: argument parsing and exit codes around installer.ts.
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { DEFAULT_INSTALL_DATA_DIR, InstallError, install, uninstall } from './installer.js';

export const INSTALL_USAGE = `Usage:
  smallworld install [--root DIR] [--data DIR] [--dry-run] [--country XX] [--skip-package-check]
                     [--node PATH] [--app PATH]
      Installs the services, boot settings (USB gadget, GPIO overlays) and configuration, backing up
      every file it changes. Running it again changes nothing. See docs/INSTALL.md.
  smallworld uninstall [--root DIR] [--dry-run]
      Restores every file install changed, byte for byte, and removes what it added.

  --root DIR            the target system's root (default /; a directory for images and tests)
  --data DIR            the daemon's data directory on the target (default ${DEFAULT_INSTALL_DATA_DIR})
  --dry-run             print what would change, change nothing
  --country XX          Wi-Fi country code (default: the existing config, then the one the OS was set up with)
  --skip-package-check  do not require hostapd, dnsmasq, wpa_supplicant and python3 under the root
  --node PATH           Node.js on the target (default: the one running this)
  --app PATH            the smallworld CLI script on the target (default: this installation's)
`;

export interface CommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CommandIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const defaultApp = () => fileURLToPath(new URL('../cli/main.js', import.meta.url));

export async function runInstallCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const values = parseCommand('install', argv, io, {
    root: { type: 'string', default: '/' },
    data: { type: 'string', default: DEFAULT_INSTALL_DATA_DIR },
    'dry-run': { type: 'boolean', default: false },
    country: { type: 'string' },
    'skip-package-check': { type: 'boolean', default: false },
    node: { type: 'string', default: process.execPath },
    app: { type: 'string' },
  });
  if (typeof values === 'number') return values;
  const country = values.country as string | undefined;
  if (country !== undefined && !/^[A-Z]{2}$/.test(country)) {
    io.err(`smallworld install: --country takes a two-letter code in capitals (e.g. CH), not "${country}"\n`);
    return EXIT.usage;
  }
  const root = values.root as string;
  const dryRun = values['dry-run'] as boolean;
  if (refusedWithoutRoot('install', root, dryRun, io)) return EXIT.failed;
  return guard(io, 'install', async () => {
    const options = {
      root,
      dataDir: values.data as string,
      dryRun,
      skipPackageCheck: values['skip-package-check'] as boolean,
      node: values.node as string,
      app: (values.app as string | undefined) ?? defaultApp(),
      out: (line: string) => io.out(`${line}\n`),
      warn: (line: string) => io.err(`${line}\n`),
    };
    return (await install(country === undefined ? options : { ...options, country })).code;
  });
}

export async function runUninstallCommand(argv: string[], io: CommandIo = processIo): Promise<number> {
  const values = parseCommand('uninstall', argv, io, {
    root: { type: 'string', default: '/' },
    'dry-run': { type: 'boolean', default: false },
  });
  if (typeof values === 'number') return values;
  const root = values.root as string;
  const dryRun = values['dry-run'] as boolean;
  if (refusedWithoutRoot('uninstall', root, dryRun, io)) return EXIT.failed;
  return guard(io, 'uninstall', async () => {
    const result = await uninstall({
      root,
      dryRun,
      out: (line) => io.out(`${line}\n`),
      warn: (line) => io.err(`${line}\n`),
    });
    return result.code;
  });
}

type Values = Record<string, string | boolean | undefined>;

/** The command's flags (with --help), or the exit code when it has answered already (usage or help). */
function parseCommand(
  name: string,
  argv: string[],
  io: CommandIo,
  options: NonNullable<ParseArgsConfig['options']>,
): Values | number {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
    });
    if (values.help) {
      io.out(INSTALL_USAGE);
      return EXIT.ok;
    }
    return values as Values;
  } catch (error) {
    io.err(`smallworld ${name}: ${(error as Error).message}\n\n${INSTALL_USAGE}`);
    return EXIT.usage;
  }
}

/** Changing the running system (root /) needs root; a dry run or another root does not. */
function refusedWithoutRoot(name: string, root: string, dryRun: boolean, io: CommandIo): boolean {
  if (root !== '/' || dryRun || process.getuid?.() === 0) return false;
  io.err(`smallworld ${name}: run it as root (sudo smallworld ${name}), or try --dry-run\n`);
  return true;
}

async function guard(io: CommandIo, name: string, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    const message = error instanceof InstallError ? error.message : ((error as Error)?.message ?? String(error));
    io.err(`smallworld ${name}: ${message}\n`);
    return EXIT.failed;
  }
}
