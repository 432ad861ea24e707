// Structured logs: one JSON object per line on stdout, which journald stores as-is.
// Levels below the threshold are dropped; warnings and errors also go to stdout so the order is kept.

export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Just the logging call, for modules that never make child loggers. */
export type LogSink = Pick<Logger, 'log'>;

export function parseLevel(text: string | undefined, fallback: Level = 'info'): Level {
  return text !== undefined && text in RANK ? (text as Level) : fallback;
}

export function createLogger(
  options: { level?: Level; write?: (line: string) => void; now?: () => number; base?: Record<string, unknown> } = {},
): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const base = options.base ?? {};
  return {
    log(level, msg, fields = {}) {
      if (RANK[level] < threshold) return;
      write(safeStringify({ ts: new Date(now()).toISOString(), level, msg, ...base, ...fields }));
    },
    child(fields) {
      return createLogger({ ...options, base: { ...base, ...fields } });
    },
  };
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v) => (v instanceof Error ? { message: v.message } : v));
  } catch {
    return JSON.stringify({ level: 'error', msg: 'unloggable record' });
  }
}

export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
