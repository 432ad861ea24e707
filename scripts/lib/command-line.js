// The scripts' command lines (the same rules as src/cli/command-line.ts, for plain JS run before any build):
// `--help` prints the usage and exits 0; a wrong flag or argument prints what is wrong and the usage on stderr
// and exits 2, never a stack trace.
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/** parseArgs over this process's arguments, with --help/-h added to `options`. */
export function commandLine(usage, { options = {}, allowPositionals = false } = {}) {
  let parsed;
  try {
    parsed = parseArgs({
      options: { ...options, help: { type: 'boolean', short: 'h', default: false } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    if (String(error?.code).startsWith('ERR_PARSE_ARGS')) usageError(usage, error.message);
    throw error;
  }
  if (parsed.values.help) {
    process.stdout.write(`${usage.trimEnd()}\n`);
    process.exit(0);
  }
  return parsed;
}

export function usageError(usage, message) {
  process.stderr.write(`${basename(process.argv[1] ?? 'node')}: ${message}\n\n${usage.trimEnd()}\n`);
  process.exit(2);
}
