// Who publishes what and when: every node publishes `postsPerNode` posts at seeded uniform times in the
// window, and `photos` of all the posts (chosen with the same seed) carry a photo. Same seed, same schedule.
import { seededRandom } from '../../test/helpers/seeded.js';

export interface ScheduledPost {
  author: string;
  /** Trace seconds. */
  at: number;
  /** Index of the post among its author's, from 0. */
  index: number;
  photo: boolean;
}

export interface ScheduleOptions {
  nodes: readonly string[];
  start: number;
  end: number;
  seed: number;
  postsPerNode: number;
  photos: number;
}

export function postSchedule(options: ScheduleOptions): ScheduledPost[] {
  const { nodes, start, end, seed, postsPerNode, photos } = options;
  const next = seededRandom(seed);
  const posts: ScheduledPost[] = [];
  for (const author of nodes) {
    const times: number[] = [];
    for (let i = 0; i < postsPerNode; i++) times.push(start + next() * (end - start));
    times.sort((x, y) => x - y);
    times.forEach((at, index) => {
      posts.push({ author, at: Math.round(at * 1000) / 1000, index, photo: false });
    });
  }
  // Partial Fisher-Yates over the posts' positions picks the photos without repeats.
  const order = posts.map((_, i) => i);
  const count = Math.min(photos, posts.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(next() * (order.length - i));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
    const post = posts[order[i] as number];
    if (post) post.photo = true;
  }
  posts.sort((x, y) => x.at - y.at || (x.author < y.author ? -1 : 1));
  return posts;
}

/** Deterministic photo bytes for a post (about `size` bytes), so both systems carry the same photos. */
export function photoBytes(seed: number, author: string, index: number, size = 40_000): Buffer {
  let mix = seed >>> 0;
  for (const ch of `${author}/${index}`) mix = Math.imul(mix ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  const next = seededRandom(mix);
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = Math.floor(next() * 256);
  return bytes;
}
