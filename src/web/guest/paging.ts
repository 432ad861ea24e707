// One page of the Shared page: the posts after the cursor in the order (index time newest first, then key
// descending). The database sorts by index time only and leaves posts of the same millisecond in no
// particular order, which differs from one query to the next; so the millisecond a page starts in, and
// the one it ends in, are each read whole and put in key order here. A millisecond holding more posts
// than MAX_SAME_TIME (only forged timestamps do that) is cut there: bounded work, whatever is stored.
import { indexTime, type SharedCursor } from './cursor.js';

export interface PagedPost {
  key: string;
  timestamp: number;
  received: number;
}

export type PostsBetween<T extends PagedPost> = (range: {
  atOrBefore: number | null;
  atOrAfter: number | null;
  limit: number;
}) => Promise<T[]>;

export const MAX_SAME_TIME = 1000;

const newestFirst = (a: PagedPost, b: PagedPost) =>
  indexTime(b) - indexTime(a) || (a.key < b.key ? 1 : a.key > b.key ? -1 : 0);
const isAfter = (post: PagedPost, cursor: SharedCursor) =>
  indexTime(post) < cursor.time || (indexTime(post) === cursor.time && post.key < cursor.key);

export async function sharedPage<T extends PagedPost>(
  query: PostsBetween<T>,
  cursor: SharedCursor | null,
  limit: number,
): Promise<{ posts: T[]; next: SharedCursor | null }> {
  const posts: T[] = [];
  let before = cursor?.time ?? null;
  if (cursor !== null) {
    // The rest of the cursor's own millisecond first.
    const same = await query({ atOrBefore: cursor.time, atOrAfter: cursor.time, limit: MAX_SAME_TIME });
    posts.push(...same.filter((p) => isAfter(p, cursor)).sort(newestFirst));
    before = cursor.time - 1;
  }
  if (posts.length <= limit && (before === null || before >= 0)) {
    const older = await query({ atOrBefore: before, atOrAfter: null, limit: limit + 1 - posts.length });
    const last = older[older.length - 1];
    if (last !== undefined) {
      // The last millisecond may be cut anywhere by the database: read it whole, in key order.
      const edge = indexTime(last);
      const whole = await query({ atOrBefore: edge, atOrAfter: edge, limit: MAX_SAME_TIME });
      posts.push(...older.filter((p) => indexTime(p) !== edge).sort(newestFirst), ...whole.sort(newestFirst));
    }
  }
  const page = posts.slice(0, limit);
  const lastShown = page[page.length - 1];
  const more = posts.length > limit && lastShown !== undefined;
  return { posts: page, next: more ? { time: indexTime(lastShown), key: lastShown.key } : null };
}
