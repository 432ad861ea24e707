// The command line of a program we run by hand (benchmarks, labs): `--help` prints its usage and exits 0; a
// wrong flag or value prints what is wrong and the usage on stderr and exits 2, never a stack trace.
import { basename } from 'node:path';

export const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

export const EXIT_USAGE = 2;

/** A bad value on the command line, found after parsing: reported like a parse error (exit 2). */
export class CommandLineError extends Error {}

/**
 * Runs `parse` (node:util's parseArgs with HELP_OPTION among its options, and any checks of the values, which
 * throw CommandLineError), answering --help and wrong input for the program.
 */
export function commandLine<T extends { values: { help?: boolean | undefined } }>(usage: string, parse: () => T): T {
  let parsed: T;
  try {
    parsed = parse();
  } catch (error) {
    if (error instanceof CommandLineError || isParseArgsError(error)) usageError(usage, (error as Error).message);
    throw error;
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  return parsed;
}

export function usageError(usage: string, message: string): never {
  process.stderr.write(`${basename(process.argv[1] ?? 'node')}: ${message}\n\n${usage.trimEnd()}\n`);
  process.exit(EXIT_USAGE);
}

function isParseArgsError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}
