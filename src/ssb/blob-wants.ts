// Photos a device has read about but does not hold yet. ssb-blobs keeps its wants in memory only: a want
// pending when the peer stopped (a restart, a power cut) was never asked for again unless another post
// mentioned the photo, and mentions beyond what we ask at once were dropped. Here every wanted blob is
// written down (bounded), at most `active` are asked of ssb-blobs at a time, and the rest wait their turn,
// across restarts too.
import * as z from 'zod';
import type { LogSink } from '../log/logger.js';
import { ThrottledLog } from '../log/throttled.js';
import { JsonFile } from '../store/json-file.js';
import { BLOB_ID } from './ids.js';

export type WantFn = (id: string, cb: (err: Error | null, has?: boolean) => void) => void;

export interface BlobWantsOptions {
  file: string;
  want: WantFn;
  logger: LogSink;
  /** Wants handed to ssb-blobs at once (each stays there until the blob arrives). */
  active?: number;
  /** Wants remembered in all; a mention beyond this is dropped (and logged, throttled). */
  capacity?: number;
  /** Coalesces the file writes of a burst of mentions (a replication batch). */
  saveDelayMs?: number;
}

const schema = z.object({ version: z.literal(1), wanted: z.array(z.string().regex(BLOB_ID)) });
type Stored = z.infer<typeof schema>;

export class BlobWants {
  /** Not yet asked, oldest first (a Set keeps insertion order). */
  private readonly waiting = new Set<string>();
  private readonly asked = new Set<string>();
  private readonly file: JsonFile<Stored>;
  private readonly active: number;
  private readonly capacity: number;
  private readonly saveDelayMs: number;
  private readonly throttled: ThrottledLog;
  private saveTimer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: BlobWantsOptions) {
    this.file = new JsonFile(options.file, schema);
    this.active = options.active ?? 256;
    this.capacity = options.capacity ?? 4096;
    this.saveDelayMs = options.saveDelayMs ?? 250;
    this.throttled = new ThrottledLog(options.logger);
  }

  /** Reads the wants an earlier run left and asks for them again; returns how many there were. */
  async load(): Promise<number> {
    const loaded = await this.file.load();
    if (loaded.warning) this.options.logger.log('warn', 'blob wants file', { detail: loaded.warning });
    const wanted = loaded.value?.wanted ?? [];
    for (const id of wanted.slice(0, this.capacity)) this.waiting.add(id);
    this.pump();
    return wanted.length;
  }

  /** A blob we should fetch (a no-op if it is already wanted). */
  add(id: string): void {
    if (this.closed || !BLOB_ID.test(id) || this.waiting.has(id) || this.asked.has(id)) return;
    if (this.size >= this.capacity) {
      this.throttled.log('warn', 'blob-wants-full', 'too many photos wanted at once; a mention is dropped', {
        capacity: this.capacity,
        blob: id,
      });
      return;
    }
    this.waiting.add(id);
    this.pump();
    this.scheduleSave();
  }

  get size(): number {
    return this.waiting.size + this.asked.size;
  }

  /** Everything wanted, asked first. */
  private list(): string[] {
    return [...this.asked, ...this.waiting];
  }

  /** Writes what is pending now (close calls it). */
  async flush(): Promise<void> {
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveTimer = null;
    this.saving = this.saving.then(() =>
      this.file
        .save({ version: 1, wanted: this.list() })
        .catch((error: Error) =>
          this.throttled.log('warn', 'blob-wants-save', 'cannot save the blob wants', { error: error.message }),
        ),
    );
    await this.saving;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /**
   * Asks again for every blob asked and not yet here. A fetch that failed (the storage budget refused it
   * while the card was full, the friend left) leaves ssb-blobs waiting until a friend announces the blob
   * again; asking again announces the want to every connected friend, and one that has it sends it.
   */
  retry(): number {
    if (this.closed) return 0;
    for (const id of this.asked) this.ask(id);
    return this.asked.size;
  }

  private pump(): void {
    while (!this.closed && this.asked.size < this.active && this.waiting.size > 0) {
      const id = this.waiting.values().next().value as string;
      this.waiting.delete(id);
      this.asked.add(id);
      this.ask(id);
    }
  }

  private ask(id: string): void {
    this.options.want(id, (err) => {
      // ssb-blobs calls back once the blob is held (every call asked), or at once with an error for an id
      // it refuses; the first answer counts.
      if (!this.asked.delete(id)) return;
      if (err)
        this.throttled.log('debug', 'blob-want-error', 'could not fetch a mentioned blob', {
          blob: id,
          error: err.message,
        });
      if (this.closed) return;
      this.pump();
      this.scheduleSave();
    });
  }

  private scheduleSave(): void {
    if (this.closed || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      void this.flush();
    }, this.saveDelayMs);
    this.saveTimer.unref();
  }
}

/**
 * The blobs a message mentions that are worth fetching: photos travel with the posts that mention them, so a
 * device that stores a friend's post also fetches its blobs and can hand them on to the next friend it meets
 * (ssb-blobs alone only fetches on request). Mentions declaring a size above `maxBytes` are skipped; what is
 * not a blob id is refused later by BlobWants.add.
 */
export function mentionedBlobs(content: unknown, maxBytes: number): string[] {
  const mentions = (content as { mentions?: unknown } | null)?.mentions;
  if (!Array.isArray(mentions)) return [];
  const links: string[] = [];
  for (const mention of mentions as Array<{ link?: unknown; size?: unknown } | null>) {
    const link = mention?.link;
    if (typeof link !== 'string') continue;
    if (typeof mention?.size === 'number' && mention.size > maxBytes) continue;
    links.push(link);
  }
  return links;
}
