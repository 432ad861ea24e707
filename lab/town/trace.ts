// The ONE simulator's connection-event trace (StandardEventsReader, as the public Haggle/Cambridge/Infocom
// conversions use it): one event a line, `<time> CONN <a> <b> up|down`, fields separated by spaces or tabs,
// times in seconds. Parsed strictly: anything that would make the replay or the limit wrong is refused with
// its line number; what can be read one sensible way (a down with no up, an up while already up, a contact
// still open at the end) is handled and reported as a warning.

export class TraceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}

/** One meeting of two nodes, [start, end) in trace seconds; a zero-length one was seen in a single scan. */
export interface Contact {
  a: string;
  b: string;
  start: number;
  end: number;
}

export interface TraceWarning {
  kind: 'down-without-up' | 'up-while-up' | 'open-at-end';
  line: number;
  message: string;
}

export interface Trace {
  contacts: Contact[];
  /** Every node id the trace names, in order of first appearance. */
  nodes: string[];
  warnings: TraceWarning[];
  /** Time of the last event. */
  lastTime: number;
}

/** Beyond about 31 years of seconds the file is not a trace in seconds (milliseconds, epoch times...). */
export const MAX_TRACE_TIME = 1e9;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const NODE_ID = /^[A-Za-z0-9_.:-]{1,64}$/;

export function parseTime(text: string, where: string): number {
  if (!NUMBER.test(text)) throw new TraceError(`${where}: "${text}" is not a time in seconds`);
  const value = Number(text);
  if (value < 0) throw new TraceError(`${where}: negative time ${text}`);
  if (!Number.isFinite(value) || value > MAX_TRACE_TIME)
    throw new TraceError(`${where}: time ${text} is beyond ${MAX_TRACE_TIME} s (31 years); not a trace in seconds?`);
  return value;
}

export function checkNodeId(id: string, where: string): string {
  if (!NODE_ID.test(id))
    throw new TraceError(`${where}: unknown node id "${id}" (expected 1-64 letters, digits, "_", ".", ":" or "-")`);
  return id;
}

/** The key of an unordered pair of nodes. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

export function parseTrace(text: string): Trace {
  const contacts: Contact[] = [];
  const warnings: TraceWarning[] = [];
  const nodes = new Map<string, true>();
  const open = new Map<string, { a: string; b: string; start: number; line: number }>();
  let previous = 0;
  let events = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const where = `trace line ${lineNo}`;
    const line = (lines[i] ?? '').replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    if (fields.length !== 5)
      throw new TraceError(`${where}: expected "<time> CONN <a> <b> up|down", got ${fields.length} fields: "${line}"`);
    const [timeText, action, aText, bText, kind] = fields as [string, string, string, string, string];
    const time = parseTime(timeText, where);
    if (action !== 'CONN')
      throw new TraceError(`${where}: only connection events ("CONN") are supported, got "${action}"`);
    const a = checkNodeId(aText, where);
    const b = checkNodeId(bText, where);
    if (a === b) throw new TraceError(`${where}: node ${a} cannot meet itself`);
    if (kind !== 'up' && kind !== 'down') throw new TraceError(`${where}: expected "up" or "down", got "${kind}"`);
    if (events > 0 && time < previous)
      throw new TraceError(
        `${where}: time ${timeText} is before the previous event's ${previous}; the trace must be sorted by time (sort -g -k1)`,
      );
    previous = time;
    events++;
    nodes.set(a, true);
    nodes.set(b, true);
    const key = pairKey(a, b);
    const current = open.get(key);
    if (kind === 'up') {
      if (current) {
        warnings.push({
          kind: 'up-while-up',
          line: lineNo,
          message: `${where}: ${a} and ${b} are already in contact since line ${current.line}; overlapping contacts are merged`,
        });
        continue;
      }
      open.set(key, { a, b, start: time, line: lineNo });
    } else {
      if (!current) {
        warnings.push({
          kind: 'down-without-up',
          line: lineNo,
          message: `${where}: ${a} and ${b} part without having met; ignored`,
        });
        continue;
      }
      open.delete(key);
      contacts.push({ a: current.a, b: current.b, start: current.start, end: time });
    }
  }
  if (events === 0) throw new TraceError('the trace holds no connection event');
  for (const still of open.values()) {
    warnings.push({
      kind: 'open-at-end',
      line: still.line,
      message: `trace line ${still.line}: ${still.a} and ${still.b} never part; the contact ends with the trace at ${previous}`,
    });
    contacts.push({ a: still.a, b: still.b, start: still.start, end: previous });
  }
  contacts.sort((x, y) => x.start - y.start || x.end - y.end);
  return { contacts, nodes: [...nodes.keys()], warnings, lastTime: previous };
}

export interface WindowOptions {
  start: number;
  end: number;
  /** Every contact lasts at least this long (trace seconds); a zero-length contact was seen in one scan. */
  minContact: number;
}

/**
 * The contacts as the replay plays them: each stretched to at least `minContact`, clipped to [start, end),
 * and the contacts of one pair that then overlap or touch merged into one (a link cannot come up twice).
 */
export function windowContacts(contacts: readonly Contact[], options: WindowOptions): Contact[] {
  const { start, end, minContact } = options;
  if (!(start >= 0) || !(end > start)) throw new TraceError(`the window [${start}, ${end}) is empty`);
  if (!(minContact >= 0) || !Number.isFinite(minContact))
    throw new TraceError(`the minimum contact ${minContact} is not a duration`);
  const byPair = new Map<string, Contact[]>();
  for (const c of contacts) {
    const stretched = Math.max(c.end, c.start + minContact);
    const s = Math.max(c.start, start);
    const e = Math.min(stretched, end);
    if (e <= s) continue;
    const key = pairKey(c.a, c.b);
    const list = byPair.get(key) ?? [];
    byPair.set(key, list);
    const [a, b] = c.a < c.b ? [c.a, c.b] : [c.b, c.a];
    list.push({ a, b, start: s, end: e });
  }
  const merged: Contact[] = [];
  for (const list of byPair.values()) {
    list.sort((x, y) => x.start - y.start);
    let current: Contact | null = null;
    for (const c of list) {
      if (current && c.start <= current.end) current.end = Math.max(current.end, c.end);
      else {
        if (current) merged.push(current);
        current = { ...c };
      }
    }
    if (current) merged.push(current);
  }
  if (merged.length === 0) throw new TraceError(`no contact in the window [${start}, ${end})`);
  merged.sort((x, y) => x.start - y.start || x.end - y.end || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : 1));
  return merged;
}

/** The nodes that meet anyone in these contacts, sorted numerically when they are numbers. */
export function nodesOf(contacts: readonly Contact[]): string[] {
  const set = new Set<string>();
  for (const c of contacts) {
    set.add(c.a);
    set.add(c.b);
  }
  return [...set].sort(compareIds);
}

export function compareIds(x: string, y: string): number {
  const nx = Number(x);
  const ny = Number(y);
  if (Number.isFinite(nx) && Number.isFinite(ny) && nx !== ny) return nx - ny;
  return x < y ? -1 : x > y ? 1 : 0;
}
