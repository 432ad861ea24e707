// Names and pictures from `about` messages: what each person says about themselves. Pure, over messages as
// the database returns them, so the rules can be tested without a database. Only self-descriptions count
// (content.about === author): what others call someone is their opinion, not the person's name. Later
// messages win field by field, as in Patchwork and Manyverse. Everything here came from the network, so
// values are trimmed, bounded and checked; the page still renders them as text only.
import { BLOB_ID } from './ids.js';

export interface Profile {
  name?: string;
  /** A blob id (`&…sha256`) the person chose as their picture. */
  image?: string;
}

export interface AboutMessage {
  author: string;
  sequence: number;
  content: unknown;
}

export const MAX_NAME_LENGTH = 64;

/** A display name: control and format characters removed, whitespace collapsed, at most 64 characters. */
export function cleanName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const cleaned = value
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned === '') return undefined;
  const chars = [...cleaned];
  return chars.length > MAX_NAME_LENGTH ? `${chars.slice(0, MAX_NAME_LENGTH - 1).join('')}…` : cleaned;
}

/** `image` is a blob id, or (newer clients) an object whose `link` is one. */
export function imageBlob(value: unknown): string | undefined {
  const link = typeof value === 'object' && value !== null ? (value as { link?: unknown }).link : (value as unknown);
  return typeof link === 'string' && BLOB_ID.test(link) ? link : undefined;
}

/** Each author's own latest name and picture. */
export function profilesFromAbouts(messages: Iterable<AboutMessage>): Map<string, Profile> {
  // Per author, in feed order (the sequence cannot be forged, unlike the timestamp).
  const ordered = [...messages].sort((a, b) =>
    a.author === b.author ? a.sequence - b.sequence : a.author < b.author ? -1 : 1,
  );
  const profiles = new Map<string, Profile>();
  for (const message of ordered) {
    const content = message.content;
    if (typeof content !== 'object' || content === null) continue;
    const about = content as { type?: unknown; about?: unknown; name?: unknown; image?: unknown };
    if (about.type !== 'about' || about.about !== message.author) continue;
    const profile = profiles.get(message.author) ?? {};
    const name = cleanName(about.name);
    if (name !== undefined) profile.name = name;
    const image = imageBlob(about.image);
    if (image !== undefined) profile.image = image;
    profiles.set(message.author, profile);
  }
  return profiles;
}
