// What every subcommand shares: its exit codes, the flags all of them take, the usage error, and the port check.

export const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

/** The command line is wrong: reported with the usage (exit 2). */
export class UsageError extends Error {
  override name = 'UsageError';
}

export const common = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${flag} must be 0..65535, not "${text}"`);
  return port;
}
