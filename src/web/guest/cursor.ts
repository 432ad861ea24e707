// The Shared page's paging cursor. Posts are ordered newest first by jitdb's timestamp index (the smaller
// of the time a message arrived and the time its author claims), then by key, so the order is total even
// for the many posts that share one millisecond after a replication burst. A cursor names the last post
// shown, `<ms>.<key as base64url>`; the next page holds the posts after it in that order, so posts arriving
// meanwhile do not shift the pages already seen. Anything else is refused before any query runs.
import { InvalidInput } from '../inputs.js';

export interface SharedCursor {
  /** The last shown post's index time (ms). */
  time: number;
  /** The last shown post's key. */
  key: string;
}

/** A bad cursor is bad input (HTTP 400, nothing queried). */
export class InvalidCursor extends InvalidInput {
  override name = 'InvalidCursor';
}

const MAX_CURSOR = 200;

export function parseCursor(raw: unknown): SharedCursor | null {
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string') throw new InvalidCursor('before: give one cursor, as returned in "next"');
  if (raw.length > MAX_CURSOR) throw new InvalidCursor('before: not a cursor (too long)');
  const match = /^(\d{1,16})\.([A-Za-z0-9_-]{4,160})$/.exec(raw);
  if (!match) throw new InvalidCursor('before: not a cursor (expected the "next" value of the previous page)');
  const time = Number(match[1]);
  if (!Number.isSafeInteger(time)) throw new InvalidCursor('before: the time in the cursor is out of range');
  const key = Buffer.from(match[2] as string, 'base64url').toString('utf8');
  if (!/^%[A-Za-z0-9+/=]{1,100}\.[a-z0-9-]{1,20}$/.test(key))
    throw new InvalidCursor('before: the cursor does not name a message');
  return { time, key };
}

export const formatCursor = (cursor: SharedCursor) =>
  `${cursor.time}.${Buffer.from(cursor.key, 'utf8').toString('base64url')}`;

/** The index time jitdb sorts by: the smaller of arrival and claimed time. */
export const indexTime = (message: { timestamp: number; received: number }) =>
  Math.min(message.timestamp, message.received);
