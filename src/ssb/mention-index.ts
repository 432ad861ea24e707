// Who mentioned each photo, and when: what eviction needs to rank the photos held (blob-eviction.ts).
// Built by one pass over the posts the first time it is asked, then kept up to date from each message as it
// is added, so eviction does not read every post again each time the card runs short. Forgotten when feeds
// leave the database (the next question builds it again). Per photo, each author's latest mention only.
import pull from 'pull-stream';
import { mentionedBlobs } from './blob-wants.js';

export interface PostValue {
  author?: unknown;
  timestamp?: unknown;
  content?: unknown;
}

/** Photo id -> author -> when they last mentioned it (ms). */
export type Mentions = ReadonlyMap<string, ReadonlyMap<string, number>>;

export class MentionIndex {
  private mentions: Map<string, Map<string, number>> | null = null;
  private building: Promise<Mentions> | null = null;
  private generation = 0;

  /** `posts`: every post held, as message values (or batches of them), oldest first or not. */
  constructor(private readonly posts: () => pull.Source<unknown>) {}

  /** A message was added to the log (ignored until the index is first asked for). */
  added(value: PostValue): void {
    if (this.mentions && isPost(value)) record(this.mentions, value);
  }

  /** Feeds were deleted: what they mentioned must not count any more. */
  reset(): void {
    this.generation++;
    this.mentions = null;
    this.building = null;
  }

  get(): Promise<Mentions> {
    if (this.mentions && !this.building) return Promise.resolve(this.mentions);
    this.building ??= this.build();
    return this.building;
  }

  private build(): Promise<Mentions> {
    const generation = this.generation;
    // Messages added during the pass are recorded too (a post read by both counts once: latest per author).
    const mentions = new Map<string, Map<string, number>>();
    this.mentions = mentions;
    return new Promise((resolve, reject) =>
      pull(
        this.posts(),
        pull.drain(
          (item: unknown) => {
            for (const msg of (Array.isArray(item) ? item : [item]) as Array<{ value?: PostValue } | null>) {
              if (msg?.value) record(mentions, msg.value);
            }
          },
          (err) => {
            if (generation === this.generation) this.building = null;
            if (err && err !== true) {
              if (generation === this.generation) this.mentions = null;
              reject(err);
            } else resolve(mentions);
          },
        ),
      ),
    );
  }
}

function isPost(value: PostValue): boolean {
  return (value.content as { type?: unknown } | null)?.type === 'post';
}

function record(mentions: Map<string, Map<string, number>>, value: PostValue): void {
  const { author, timestamp } = value;
  if (typeof author !== 'string') return;
  const at = typeof timestamp === 'number' ? timestamp : 0;
  for (const blob of mentionedBlobs(value.content, Number.POSITIVE_INFINITY)) {
    let authors = mentions.get(blob);
    if (!authors) {
      authors = new Map();
      mentions.set(blob, authors);
    }
    if ((authors.get(author) ?? Number.NEGATIVE_INFINITY) < at) authors.set(author, at);
  }
}
