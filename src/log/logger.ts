// Structured logs through pino (the logger fastify ships). Not on a terminal (journald, CI, tests): one JSON
// object per line on stdout, `{"level","ts","msg",…fields}`, which journald stores as-is and tests parse. On a
// terminal: short readable lines for a person (src/log/pretty.ts). Warnings and errors also go to stdout so
// the order is kept.
import { type Logger as PinoLogger, pino } from 'pino';
import { prettyLine } from './pretty.js';

export type Level = 'debug' | 'info' | 'warn' | 'error';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** Just the logging call, for modules that never make child loggers. */
export type LogSink = Pick<Logger, 'log'>;

export function parseLevel(text: string | undefined, fallback: Level = 'info'): Level {
  return text !== undefined && (LEVELS as readonly string[]).includes(text) ? (text as Level) : fallback;
}

export type LogFormat = 'json' | 'pretty';

/**
 * JSON unless stdout is a terminal; SMALLWORLD_LOG_FORMAT=json|pretty decides otherwise. A caller-supplied
 * `write` always gets JSON lines.
 */
export function defaultFormat(env: NodeJS.ProcessEnv = process.env, isTTY = process.stdout.isTTY === true): LogFormat {
  const chosen = env.SMALLWORLD_LOG_FORMAT;
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return isTTY ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: Level;
  /** Receives each record, one line without its newline. Default: stdout. */
  write?: (line: string) => void;
  now?: () => number;
  base?: Record<string, unknown>;
  format?: LogFormat;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const now = options.now ?? Date.now;
  const format = options.format ?? (options.write ? 'json' : defaultFormat());
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const colors = format === 'pretty' && options.write === undefined && process.stdout.hasColors?.() === true;
  const destination = {
    write(record: string) {
      const line = record.endsWith('\n') ? record.slice(0, -1) : record;
      write(format === 'pretty' ? prettyLine(line, { colors }) : line);
    },
  };
  const root = pino(
    {
      level: options.level ?? 'info',
      base: null,
      messageKey: 'msg',
      timestamp: () => `,"ts":"${new Date(now()).toISOString()}"`,
      formatters: { level: (label) => ({ level: label }), log: errorsAsMessages },
      // Fields are logged as given (errors already as their messages): no serializer of pino's own for `err`.
      serializers: { err: (value: unknown) => value },
    },
    destination,
  );
  return wrap(options.base && Object.keys(options.base).length > 0 ? root.child(options.base) : root);
}

function wrap(logger: PinoLogger): Logger {
  return {
    log(level, msg, fields) {
      if (fields === undefined) logger[level](msg);
      else logger[level](fields, msg);
    },
    child(fields) {
      return wrap(logger.child(fields));
    },
  };
}

/** An Error in a field is logged as its message (its stack and own properties are noise in a log line). */
function errorsAsMessages(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out ??= { ...fields };
      out[key] = { message: value.message };
    }
  }
  return out ?? fields;
}

export const silentLogger: Logger = {
  log() {},
  child() {
    return silentLogger;
  },
};
