// Benchmark fixtures: feeds of signed classic SSB messages, generated once per benchmark run and loaded into
// both systems' databases before anything is timed, so Smallworld and ssb-server replicate byte-identical
// messages. Everything is deterministic (seeded keys, seeded text) except the photo bytes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ssbKeys from 'ssb-keys';
import { seededRandom } from '../../test/helpers/seeded.js';

export interface Keys {
  curve: 'ed25519';
  public: string;
  private: string;
  id: string;
}

export interface MsgValue {
  previous: string | null;
  author: string;
  sequence: number;
  timestamp: number;
  hash: 'sha256';
  content: Record<string, unknown>;
  signature: string;
}

export function keysFor(name: string): Keys {
  const seed = createHash('sha256').update(`smallworld-bench:${name}`).digest();
  return ssbKeys.generate('ed25519', seed) as Keys;
}

/** The message id as SSB computes it: sha256 of the pretty JSON taken as latin1 bytes. */
export function messageId(value: MsgValue): string {
  const json = JSON.stringify(value, null, 2);
  return `%${createHash('sha256').update(Buffer.from(json, 'latin1')).digest('base64')}.sha256`;
}

const WORDS = (
  'the a of to and in is it that for on with as at this by from we our you they be are was have has had ' +
  'market bread garden bicycle photo village school meeting tomorrow evening river bridge music festival ' +
  'children neighbours water repair solar panel radio library book recipe tomatoes harvest weather rain ' +
  'sunny café über naïve déjà-vu 🌱 🚲 ☀️ thanks great idea see you soon! maybe later? yes no perhaps'
).split(' ');

/** Post lengths like a social feed's: mostly short, a long tail (20 to 2,000 characters). */
function postText(rand: () => number): string {
  const target = Math.min(2000, Math.max(20, Math.round(-Math.log(1 - rand()) * 320)));
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const word = WORDS[Math.floor(rand() * WORDS.length)] ?? 'x';
    words.push(word);
    length += word.length + 1;
  }
  return words.join(' ');
}

export interface FeedSpec {
  keys: Keys;
  count: number;
  /** Content for a given sequence; undefined uses the realistic mix (posts, replies, votes). */
  content?: (sequence: number) => Record<string, unknown>;
}

/** A feed of `count` signed messages: about 70 % posts (some replies, some with a mention), 30 % votes. */
export function generateFeed(spec: FeedSpec, seed: number, startTime: number): MsgValue[] {
  const rand = seededRandom(seed);
  const msgs: MsgValue[] = [];
  const ids: string[] = [];
  let previous: string | null = null;
  for (let sequence = 1; sequence <= spec.count; sequence++) {
    let content = spec.content?.(sequence);
    if (content === undefined) {
      const r = rand();
      const earlier = ids.length > 0 ? ids[Math.floor(rand() * ids.length)] : undefined;
      if (r < 0.3 && earlier !== undefined) {
        content = { type: 'vote', vote: { link: earlier, value: 1, expression: 'Like' } };
      } else {
        content = { type: 'post', text: postText(rand) };
        if (r < 0.45 && earlier !== undefined) Object.assign(content, { root: earlier, branch: earlier });
        if (rand() < 0.1) content.mentions = [{ link: spec.keys.id, name: 'me' }];
      }
    }
    const value = ssbKeys.signObj(spec.keys, {
      previous,
      author: spec.keys.id,
      sequence,
      timestamp: startTime + sequence * 37_000,
      hash: 'sha256' as const,
      content,
    }) as MsgValue;
    previous = messageId(value);
    // Keep a bounded window of ids for votes and replies to point at.
    ids.push(previous);
    if (ids.length > 200) ids.shift();
    msgs.push(value);
  }
  return msgs;
}

export interface Template {
  /** The source device's identity (its feed is the first in `feeds`, if any). */
  keys: Keys;
  /** The same keys as a JSON file (for the setup processes). */
  keysFile: string;
  /** Files of JSON lines, one signed message each, in append order. */
  messageFiles: string[];
  messages: number;
  bytes: number;
  /** Blob files (ssb-blobs' layout is the same in both systems). */
  blobs: Array<{ id: string; path: string; size: number }>;
}

export interface FixtureSizes {
  replication: number;
  meet: number;
  photos: number;
  photoBytes: number;
  holdFeeds: number;
  holdPerFeed: number;
}

async function writeFeeds(path: string, feeds: MsgValue[][]): Promise<{ messages: number; bytes: number }> {
  const lines: string[] = [];
  let bytes = 0;
  for (const feed of feeds) {
    for (const msg of feed) {
      const line = JSON.stringify(msg);
      bytes += Buffer.byteLength(line);
      lines.push(line);
    }
  }
  await writeFile(path, `${lines.join('\n')}\n`);
  return { messages: lines.length, bytes };
}

const START = Date.UTC(2026, 0, 1);

async function writeKeys(dir: string, name: string, keys: Keys): Promise<string> {
  const path = join(dir, `${name}-keys.json`);
  await writeFile(path, JSON.stringify(keys), { mode: 0o600 });
  return path;
}

/**
 * The four source devices' contents: `replication` (one feed), `meet` (one feed), `hold` (the source follows
 * `holdFeeds` authors whose feeds it holds: a follower at 2 hops wants them all) and `photos` (blobs).
 */
export async function generateFixtures(
  dir: string,
  sizes: FixtureSizes,
  which: ReadonlySet<string>,
): Promise<Record<string, Template>> {
  await mkdir(dir, { recursive: true });
  const templates: Record<string, Template> = {};

  for (const [name, count, seed] of [
    ['replication', sizes.replication, 1],
    ['meet', sizes.meet, 2],
  ] as const) {
    if (!which.has(name)) continue;
    const keys = keysFor(`${name}-source`);
    const feed = generateFeed({ keys, count }, seed, START);
    const file = join(dir, `${name}.jsonl`);
    const { messages, bytes } = await writeFeeds(file, [feed]);
    templates[name] = {
      keys,
      keysFile: await writeKeys(dir, name, keys),
      messageFiles: [file],
      messages,
      bytes,
      blobs: [],
    };
  }

  if (which.has('hold')) {
    const keys = keysFor('hold-source');
    const authors = Array.from({ length: sizes.holdFeeds }, (_, i) => keysFor(`hold-author-${i}`));
    const own = generateFeed(
      {
        keys,
        count: authors.length,
        content: (sequence) => ({ type: 'contact', contact: authors[sequence - 1]?.id, following: true }),
      },
      3,
      START,
    );
    const feeds = [own, ...authors.map((a, i) => generateFeed({ keys: a, count: sizes.holdPerFeed }, 100 + i, START))];
    const file = join(dir, 'hold.jsonl');
    const { messages, bytes } = await writeFeeds(file, feeds);
    const keysFile = await writeKeys(dir, 'hold', keys);
    templates.hold = { keys, keysFile, messageFiles: [file], messages, bytes, blobs: [] };
  }

  if (which.has('photos')) {
    const keys = keysFor('photos-source');
    const blobs: Template['blobs'] = [];
    await mkdir(join(dir, 'photos'), { recursive: true });
    for (let i = 0; i < sizes.photos; i++) {
      // Random bytes: a JPEG does not compress either.
      const data = randomBytes(sizes.photoBytes);
      const id = `&${createHash('sha256').update(data).digest('base64')}.sha256`;
      const path = join(dir, 'photos', `photo-${i}.jpg`);
      await writeFile(path, data);
      blobs.push({ id, path, size: data.length });
    }
    const keysFile = await writeKeys(dir, 'photos', keys);
    templates.photos = { keys, keysFile, messageFiles: [], messages: 0, bytes: 0, blobs };
  }
  return templates;
}

/** Where ssb-blobs (1.x in ssb-server 16, 2.x in Smallworld) keeps a blob: blobs/sha256/<2 hex>/<62 hex>. */
export function blobPath(blobsDir: string, id: string): string {
  const hex = Buffer.from(id.slice(1, id.indexOf('.')), 'base64').toString('hex');
  return join(blobsDir, 'sha256', hex.slice(0, 2), hex.slice(2));
}
