// What the People and Feed pages show, built from the SSB peer's answers by pure functions. Everything
// here may have come from strangers on the network: it is passed on as data (the page renders it as text),
// bounded in length, and blob links are only ever well-formed blob ids.
import type { Profile } from '../ssb/about.js';
import type { AutoFollowPolicy, AutoFollowRecord } from '../ssb/auto-follow.js';
import type { PeerInfo, Relationships, StoredMessage } from '../ssb/peer.js';
import type { ReplicationProgress } from '../ssb/progress.js';
import { isBlobId } from './inputs.js';

export interface Person {
  id: string;
  name: string | null;
  image: string | null;
  self: boolean;
  following: boolean;
  follower: boolean;
  blocked: boolean;
}

export function personOf(
  id: string,
  self: string,
  relationships: Relationships,
  profiles: ReadonlyMap<string, Profile>,
): Person {
  const profile = profiles.get(id);
  return {
    id,
    name: profile?.name ?? null,
    image: profile?.image ?? null,
    self: id === self,
    following: relationships.following.includes(id),
    follower: relationships.followers.includes(id),
    blocked: relationships.blocked.includes(id),
  };
}

export interface SeenPeer {
  address: string;
  state: PeerInfo['state'];
  verified: boolean | null;
  person: Person | null;
}

export interface PeopleView {
  self: Person;
  following: Person[];
  followers: Person[];
  blocked: Person[];
  seen: SeenPeer[];
  autoFollow: {
    policy: Pick<AutoFollowPolicy, 'enabled' | 'allow' | 'deny' | 'maxPerMinute' | 'unverified'>;
    decisions: Array<Omit<AutoFollowRecord, 'at'> & { at: string; person: Person }>;
  };
}

const byName = (a: Person, b: Person) =>
  (a.name ?? '\uffff').localeCompare(b.name ?? '\uffff') || (a.id < b.id ? -1 : 1);

export function peopleView(input: {
  self: string;
  relationships: Relationships;
  profiles: ReadonlyMap<string, Profile>;
  peers: PeerInfo[];
  policy: AutoFollowPolicy;
  decisions: AutoFollowRecord[];
  maxDecisions?: number;
}): PeopleView {
  const person = (id: string) => personOf(id, input.self, input.relationships, input.profiles);
  const seen = new Map<string, SeenPeer>();
  for (const peer of input.peers) {
    // One row per peer: a connected entry beats a discovered one for the same key.
    const key = peer.key ?? peer.address;
    const previous = seen.get(key);
    if (previous && previous.state === 'connected') continue;
    if (peer.key === input.self) continue;
    seen.set(key, {
      address: peer.address,
      state: peer.state,
      verified: peer.verified ?? null,
      person: peer.key ? person(peer.key) : null,
    });
  }
  const { enabled, allow, deny, maxPerMinute, unverified } = input.policy;
  return {
    self: person(input.self),
    following: input.relationships.following.map(person).sort(byName),
    followers: input.relationships.followers.map(person).sort(byName),
    blocked: input.relationships.blocked.map(person).sort(byName),
    seen: [...seen.values()],
    autoFollow: {
      policy: { enabled, allow: [...allow], deny: [...deny], maxPerMinute, unverified },
      decisions: input.decisions
        .slice(-(input.maxDecisions ?? 30))
        .reverse()
        .map((d) => ({ ...d, at: new Date(d.at).toISOString(), person: person(d.key) })),
    },
  };
}

export interface FeedItem {
  key: string;
  author: Person;
  sequence: number;
  timestamp: string;
  type: string;
  /** A post's text without the photo links (the photos are listed separately). */
  text: string | null;
  photos: Array<{ blob: string; name: string }>;
  /** One line for other message types: "follows …", "is now called …". */
  summary: string | null;
  /** The other person a contact or about message is about. */
  subject: Person | null;
}

export const MAX_TEXT = 10_000;
export const IMAGE_LINK = /!\[([^\]]{0,200})\]\((&[A-Za-z0-9+/]{43}=\.sha256)\)/g;

export function photosOf(content: Record<string, unknown>, text: string): Array<{ blob: string; name: string }> {
  const photos = new Map<string, string>();
  const mentions = Array.isArray(content.mentions) ? content.mentions : [];
  for (const mention of mentions.slice(0, 20)) {
    if (typeof mention !== 'object' || mention === null) continue;
    const { link, name, type } = mention as { link?: unknown; name?: unknown; type?: unknown };
    if (!isBlobId(link)) continue;
    if (typeof type === 'string' && !type.startsWith('image/')) continue;
    photos.set(link, typeof name === 'string' ? name.slice(0, 100) : 'photo');
  }
  for (const match of text.matchAll(IMAGE_LINK)) {
    const [, name = 'photo', blob] = match;
    if (blob && !photos.has(blob)) photos.set(blob, name);
  }
  return [...photos].map(([blob, name]) => ({ blob, name }));
}

export function feedItem(
  message: StoredMessage,
  self: string,
  relationships: Relationships,
  profiles: ReadonlyMap<string, Profile>,
): FeedItem {
  const person = (id: string) => personOf(id, self, relationships, profiles);
  const content = message.content as Record<string, unknown>;
  const type = message.content.type.slice(0, 64);
  let text: string | null = null;
  let photos: FeedItem['photos'] = [];
  let summary: string | null = null;
  let subject: Person | null = null;
  if (type === 'post') {
    const raw = typeof content.text === 'string' ? content.text.slice(0, MAX_TEXT) : '';
    photos = photosOf(content, raw);
    text = raw.replace(IMAGE_LINK, '').trim();
  } else if (type === 'contact' && typeof content.contact === 'string') {
    subject = person(content.contact.slice(0, 100));
    summary =
      content.blocking === true
        ? 'blocked'
        : content.blocking === false
          ? 'unblocked'
          : content.following === true
            ? 'follows'
            : content.following === false
              ? 'unfollowed'
              : 'changed their relation to';
  } else if (type === 'about' && content.about === message.author) {
    const name = typeof content.name === 'string' ? content.name.slice(0, 100) : null;
    summary = name !== null ? `is now called “${name}”` : 'updated their profile';
  } else {
    summary = `published a “${type}” message`;
  }
  return {
    key: message.key,
    author: person(message.author),
    sequence: message.sequence,
    timestamp: new Date(message.timestamp).toISOString(),
    type,
    text,
    photos,
    summary,
    subject,
  };
}

export interface PeerProgressView {
  key: string;
  person: Person;
  address: string | null;
  have: number;
  want: number;
  fraction: number;
}

/** The Device page's peers: who is connected or discovered, and how far replication with each has come. */
export function devicePeersView(input: {
  self: string;
  relationships: Relationships;
  profiles: ReadonlyMap<string, Profile>;
  peers: PeerInfo[];
  progress: ReplicationProgress;
}): {
  peers: SeenPeer[];
  progress: { overall: ReplicationProgress['overall']; replicating: boolean; peers: PeerProgressView[] };
} {
  const view = peopleView({
    ...input,
    policy: { enabled: false, allow: [], deny: [], maxPerMinute: 0, unverified: 'ignore' },
    decisions: [],
  });
  const addressOf = new Map(input.peers.filter((p) => p.key).map((p) => [p.key as string, p.address]));
  const peers = Object.entries(input.progress.peers)
    .map(([key, p]) => ({
      key,
      person: personOf(key, input.self, input.relationships, input.profiles),
      address: addressOf.get(key) ?? null,
      have: p.have,
      want: p.want,
      fraction: p.fraction,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : 1));
  return {
    peers: view.seen,
    progress: { overall: input.progress.overall, replicating: input.progress.replicating, peers },
  };
}
