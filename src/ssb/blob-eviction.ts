// The eviction mechanism: lists the blob files, finds who mentioned each (the nearest author in the follow
// graph, and when: mention-index.ts), lets the pure rule (storage/eviction.ts) choose, and removes what it chose.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LogSink } from '../log/logger.js';
import { chooseEvictions, type EvictionCandidate } from '../storage/eviction.js';
import { blobIdOfPath } from './blob-guard.js';
import type { SsbServer } from './libraries.js';
import type { MentionIndex } from './mention-index.js';
import type { EvictedBlob } from './peer-storage.js';

export interface BlobEvictorOptions {
  ssb: SsbServer;
  mentions: MentionIndex;
  ssbDir: string;
  /** Hops from the owner (ssb-friends: 0 the owner, negative blocked, none outside the graph). */
  hopsOf: (feed: string) => number | undefined;
  logger: LogSink;
  now?: () => number;
}

interface BlobFile {
  blob: string;
  /** Allocated bytes: what removing it gives back. */
  size: number;
  mtimeMs: number;
}

interface Mention {
  hops: number;
  at: number;
  author: string;
}

export class BlobEvictor {
  private readonly now: () => number;

  constructor(private readonly options: BlobEvictorOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Frees at least `bytes` if the rules allow; returns what was removed. */
  async evict(bytes: number): Promise<EvictedBlob[]> {
    const chosen = chooseEvictions(await this.candidates(), bytes, this.now());
    const removed: EvictedBlob[] = [];
    for (const candidate of chosen) {
      const error = await new Promise<Error | null>((resolve) =>
        this.options.ssb.blobs.rm(candidate.blob, (err) => resolve(err ?? null)),
      );
      if (error) {
        this.options.logger.log('warn', 'cannot evict a photo', { blob: candidate.blob, error: error.message });
        continue;
      }
      removed.push({
        blob: candidate.blob,
        size: candidate.size,
        author: candidate.author,
        hops: candidate.hops !== null && Number.isFinite(candidate.hops) ? candidate.hops : null,
        at: new Date(this.now()).toISOString(),
      });
    }
    const freed = removed.reduce((sum, e) => sum + e.size, 0);
    this.options.logger.log(freed >= bytes ? 'info' : 'warn', 'photos evicted to keep the reserve free', {
      wanted: bytes,
      freed,
      photos: removed.length,
      ...(freed < bytes ? { short: 'nothing else may be evicted (the owner’s own photos are kept)' } : {}),
    });
    return removed;
  }

  async candidates(): Promise<EvictionCandidate[]> {
    const files = await this.blobFiles();
    const mentions = await this.nearestMentions(new Set(files.map((f) => f.blob)));
    return files.map(({ blob, size, mtimeMs }) => {
      const mention = mentions.get(blob);
      return mention
        ? { blob, size, hops: mention.hops, at: mention.at, author: mention.author }
        : { blob, size, hops: null, at: mtimeMs, author: null };
    });
  }

  private async blobFiles(): Promise<BlobFile[]> {
    const root = join(this.options.ssbDir, 'blobs', 'sha256');
    const files: BlobFile[] = [];
    for (const prefix of await readdir(root).catch(() => [] as string[])) {
      for (const rest of await readdir(join(root, prefix)).catch(() => [] as string[])) {
        const blob = blobIdOfPath(prefix, rest);
        if (blob === null) continue;
        const stats = await lstat(join(root, prefix, rest)).catch(() => null);
        if (stats?.isFile()) files.push({ blob, size: stats.blocks * 512, mtimeMs: stats.mtimeMs });
      }
    }
    return files;
  }

  /** For each blob held, its nearest mention (latest among equals). */
  private async nearestMentions(held: Set<string>): Promise<Map<string, Mention>> {
    const { ssb, hopsOf } = this.options;
    const distance = (feed: string) => {
      if (feed === ssb.id) return 0;
      const hops = hopsOf(feed);
      return hops === undefined || hops < 0 ? Number.POSITIVE_INFINITY : hops;
    };
    const nearest = new Map<string, Mention>();
    const mentions = await this.options.mentions.get();
    for (const blob of held) {
      for (const [author, at] of mentions.get(blob) ?? []) {
        const hops = distance(author);
        const known = nearest.get(blob);
        if (!known || hops < known.hops || (hops === known.hops && at > known.at)) {
          nearest.set(blob, { hops, at, author });
        }
      }
    }
    return nearest;
  }
}
