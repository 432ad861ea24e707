// Log records for a person at a terminal, through pino-pretty: one short line (time, level, which process,
// the message, the other fields as key=value), and what a person came for on lines of its own that stand
// out: the page's address and the first-visit setup code.
//
// pino-pretty is required on the first pretty line: a service logging JSON never loads it (cold start).
import { createRequire } from 'node:module';
import type { MessageFormatFunc, prettyFactory as PrettyFactory } from 'pino-pretty';

type Colorette = Parameters<MessageFormatFunc>[3]['colors'];

/** Fields a person acts on: shown on their own lines, with their label, instead of among the key=value pairs. */
const HIGHLIGHTS: ReadonlyArray<readonly [key: string, label: string]> = [
  ['url', 'open'],
  ['setupCode', 'setup code'],
];
/** Shown as the line's prefix, not as a field. */
const PROCESS_KEY = 'proc';
const MAX_VALUE = 80;

const formatters = new Map<boolean, (line: string) => string>();

/** One JSON log line as text for a terminal (without the final newline). */
export function prettyLine(json: string, options: { colors: boolean }): string {
  let format = formatters.get(options.colors);
  if (!format) {
    const { prettyFactory } = createRequire(import.meta.url)('pino-pretty') as { prettyFactory: typeof PrettyFactory };
    const prettify = prettyFactory({
      colorize: options.colors,
      messageKey: 'msg',
      timestampKey: 'ts',
      translateTime: 'SYS:HH:MM:ss',
      hideObject: true,
      singleLine: true,
      messageFormat: (log, messageKey, _level, extras) => messageText(log, messageKey, extras.colors),
    });
    format = (line) => {
      const text = prettify(line);
      return typeof text === 'string' ? text.replace(/\n$/, '') : line;
    };
    formatters.set(options.colors, format);
  }
  return format(json);
}

function messageText(log: Record<string, unknown>, messageKey: string, colors: Colorette): string {
  const proc = typeof log[PROCESS_KEY] === 'string' ? `${colors.gray(`${log[PROCESS_KEY]}`)} ` : '';
  const fields = Object.entries(log)
    .filter(([key]) => !['level', 'ts', messageKey, PROCESS_KEY].includes(key))
    .filter(([key]) => !HIGHLIGHTS.some(([k]) => k === key))
    .map(([key, value]) => `${colors.gray(`${key}=`)}${valueText(value)}`);
  let text = `${proc}${String(log[messageKey] ?? '')}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`;
  for (const [key, label] of HIGHLIGHTS) {
    const value = log[key];
    if (value === undefined) continue;
    text += `\n    ${colors.bold(colors.cyan(`▶ ${label.padEnd(10)}`))} ${colors.bold(valueText(value))}`;
  }
  return text;
}

function valueText(value: unknown): string {
  const text = typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : (tagged(value) ?? JSON.stringify(value));
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** The reducer's events and effects (`{"type":"SetLed","led":"ap",…}`) read as `SetLed(led=ap …)`. */
function tagged(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const { type, ...rest } = value as Record<string, unknown>;
  if (typeof type !== 'string') return null;
  const inner = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${type}(${inner.join(' ')})`;
}
