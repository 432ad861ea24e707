// What the SSB peer's database holds, as its local API offers it (peer-api.ts): the feeds and their latest
// sequence, our relationships in the follow graph, recent messages, posts between two times (the guest view's
// pages) and the profiles people gave themselves.
import type ssbDb2 from 'ssb-db2';
import type ssbFriends from 'ssb-friends';
import { type AboutMessage, profilesFromAbouts } from './about.js';
import { callback } from './callback.js';
import type { SsbLibraries, SsbServer } from './libraries.js';
import type { SsbPeer, StoredMessage } from './peer-api.js';
import { collect } from './pull.js';

/** A database record as a StoredMessage, or nothing when its content is not a public object with a type. */
function storedMessage(msg: ssbDb2.Msg): StoredMessage[] {
  const content = msg.value.content as { type?: unknown } | null;
  if (typeof content !== 'object' || content === null || typeof content.type !== 'string') return [];
  return [
    {
      key: msg.key,
      author: msg.value.author,
      sequence: msg.value.sequence,
      timestamp: msg.value.timestamp,
      received: msg.timestamp,
      content: content as StoredMessage['content'],
    },
  ];
}

export function databaseQueries(parts: {
  ssb: SsbServer;
  operators: SsbLibraries['operators'];
}): Pick<SsbPeer, 'feeds' | 'relationships' | 'recentMessages' | 'postsBetween' | 'profiles'> {
  const { ssb, operators } = parts;
  return {
    async feeds() {
      await new Promise<void>((resolve) => ssb.db.onDrain('base', resolve));
      const latest = await collect(ssb.db.getAllLatest());
      return latest
        .map(({ key, value }) => ({ id: key, sequence: value.sequence }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },
    async relationships() {
      const graph = (await callback<ssbFriends.Graph>((cb) => ssb.friends.graph(cb))) ?? {};
      const following: string[] = [];
      const blocked: string[] = [];
      for (const [dest, value] of Object.entries(graph[ssb.id] ?? {})) {
        if (value === 1) following.push(dest);
        else if (value === -1) blocked.push(dest);
      }
      const followers = Object.entries(graph)
        .filter(([source, edges]) => source !== ssb.id && edges[ssb.id] === 1)
        .map(([source]) => source);
      return { following: following.sort(), followers: followers.sort(), blocked: blocked.sort() };
    },
    async recentMessages(limit: number) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new RangeError('limit must be 1..500');
      const { where, isPublic, descending, paginate, toCallback } = operators;
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(isPublic()), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      // Messages written in the same millisecond keep their feed order (newest first).
      const newestFirst = [...results].sort(
        (a, b) =>
          b.value.timestamp - a.value.timestamp ||
          (a.value.author === b.value.author ? b.value.sequence - a.value.sequence : 0),
      );
      return newestFirst.flatMap(storedMessage);
    },
    async postsBetween({
      atOrBefore,
      atOrAfter,
      limit,
    }: {
      atOrBefore: number | null;
      atOrAfter: number | null;
      limit: number;
    }) {
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError('limit must be 1..10000');
      const { where, and, type, isPublic, lte, gte, descending, paginate, toCallback } = operators;
      const filters = [type('post'), isPublic()];
      if (atOrBefore !== null) filters.push(lte(atOrBefore, 'timestamp'));
      if (atOrAfter !== null) filters.push(gte(atOrAfter, 'timestamp'));
      const answer = await callback<unknown>((cb) =>
        ssb.db.query(where(and(...filters)), descending(), paginate(limit), toCallback(cb)),
      );
      const results = (answer as { results?: ssbDb2.Msg[] } | undefined)?.results ?? [];
      return results.flatMap(storedMessage);
    },
    async profiles() {
      const { where, type, toCallback } = operators;
      const answer = await callback<unknown>((cb) => ssb.db.query(where(type('about')), toCallback(cb)));
      const messages = Array.isArray(answer) ? (answer as ssbDb2.Msg[]) : [];
      return profilesFromAbouts(
        messages.map(
          (msg): AboutMessage => ({
            author: msg.value.author,
            sequence: msg.value.sequence,
            content: msg.value.content,
          }),
        ),
      );
    },
  };
}
