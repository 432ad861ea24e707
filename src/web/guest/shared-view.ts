// What a guest sees of a post: the Shared page's JSON, built by a pure function. Everything here may come
// from strangers: the text is bounded and passed on as data (the page puts it on screen with textContent),
// photos are only ever well-formed blob ids, and names are cut to a sane length.
import type { Profile } from '../../ssb/about.js';
import type { StoredMessage } from '../../ssb/peer.js';
import { IMAGE_LINK, MAX_TEXT, photosOf } from '../views.js';

export interface SharedAuthor {
  id: string;
  name: string | null;
  /** The blob id of the author's own picture, if they gave one. */
  image: string | null;
}

export interface SharedPost {
  key: string;
  author: SharedAuthor;
  /** The post's text without its photo links. */
  text: string;
  /** Blob ids of the photos, for `/blob?id=`. */
  photos: string[];
  /** The author's claimed time of writing (ms since 1970). */
  timestamp: number;
}

export interface SharedPage {
  posts: SharedPost[];
  /** The `before` value for the next (older) page, or null on the last page. */
  next: string | null;
}

export function sharedPost(message: StoredMessage, profiles: ReadonlyMap<string, Profile>): SharedPost {
  const content = message.content as Record<string, unknown>;
  const raw = typeof content.text === 'string' ? content.text.slice(0, MAX_TEXT) : '';
  const profile = profiles.get(message.author);
  return {
    key: message.key,
    author: {
      id: message.author,
      name: profile?.name?.slice(0, 100) ?? null,
      image: profile?.image ?? null,
    },
    text: raw.replace(IMAGE_LINK, '').trim(),
    photos: photosOf(content, raw).map((photo) => photo.blob),
    timestamp: message.timestamp,
  };
}
