// The Shared page's paging cursor. Posts come newest first by jitdb's timestamp index (the smaller of the
// time a message arrived and the time its author claims); a cursor says "at or before this time, after
// skipping this many that carry exactly this time", so posts arriving meanwhile do not shift the pages
// already seen. Written as `<ms>.<skip>`; anything else is refused before any query runs.
import { InvalidInput } from '../inputs.js';

export interface SharedCursor {
  atOrBefore: number;
  skip: number;
}

/** Bounded work: a query never skips more than this many posts of one millisecond. */
export const MAX_SKIP = 100_000;

/** A bad cursor is bad input (HTTP 400, nothing queried). */
export class InvalidCursor extends InvalidInput {
  override name = 'InvalidCursor';
}

export function parseCursor(raw: unknown): SharedCursor | null {
  if (raw === undefined || raw === '') return null;
  if (typeof raw !== 'string') throw new InvalidCursor('before: give one cursor, as returned in "next"');
  if (raw.length > 32) throw new InvalidCursor('before: not a cursor (too long)');
  const match = /^(\d{1,16})\.(\d{1,6})$/.exec(raw);
  if (!match) throw new InvalidCursor('before: not a cursor (expected the "next" value of the previous page)');
  const atOrBefore = Number(match[1]);
  const skip = Number(match[2]);
  if (!Number.isSafeInteger(atOrBefore)) throw new InvalidCursor('before: the time in the cursor is out of range');
  if (skip > MAX_SKIP) throw new InvalidCursor(`before: the cursor skips more than ${MAX_SKIP} posts`);
  return { atOrBefore, skip };
}

export const formatCursor = (cursor: SharedCursor) => `${cursor.atOrBefore}.${cursor.skip}`;

/** The index time jitdb sorts by: the smaller of arrival and claimed time. */
export const indexTime = (message: { timestamp: number; received: number }) =>
  Math.min(message.timestamp, message.received);

/**
 * The cursor after a page: the last post's time, skipping the posts of that same time already shown
 * (counting those of earlier pages when the whole page shared the cursor's time). Null when the query
 * gave fewer than it was asked for: there is nothing older.
 */
export function nextCursor(
  previous: SharedCursor | null,
  page: ReadonlyArray<{ timestamp: number; received: number }>,
  limit: number,
): SharedCursor | null {
  if (page.length < limit || page.length === 0) return null;
  const last = indexTime(page[page.length - 1] as { timestamp: number; received: number });
  let sameTime = 0;
  for (let i = page.length - 1; i >= 0 && indexTime(page[i] as { timestamp: number; received: number }) === last; i--)
    sameTime++;
  const carried = sameTime === page.length && previous !== null && previous.atOrBefore === last ? previous.skip : 0;
  return { atOrBefore: last, skip: carried + sameTime };
}
