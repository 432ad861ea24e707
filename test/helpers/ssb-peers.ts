// Starting SSB peers for tests: loopback only, fresh data directories, free ports, always closed.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Level, LogSink as PeerLogger } from '../../src/log/logger.js';
import { type SsbPeer, type SsbPeerOptions, startSsbPeer } from '../../src/ssb/peer.js';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface LogLine {
  level: Level;
  msg: string;
  fields?: Record<string, unknown>;
}

/** Keeps log lines for assertions; prints warnings and errors when SSB_TEST_VERBOSE is set. */
export function memoryLogger(name: string): PeerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    log(level, msg, fields) {
      lines.push({ level, msg, ...(fields ? { fields } : {}) });
      if (process.env.SSB_TEST_VERBOSE) console.error(name, level, msg, JSON.stringify(fields ?? {}));
    },
  };
}

export class PeerSet {
  private readonly peers: SsbPeer[] = [];
  private readonly dirs: string[] = [];

  async start(
    name: string,
    options: Partial<SsbPeerOptions> = {},
  ): Promise<SsbPeer & { logger: ReturnType<typeof memoryLogger> }> {
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `ssb-test-${name}-`)));
    if (options.dataDir === undefined) this.dirs.push(dataDir);
    const logger = memoryLogger(name);
    const peer = await startSsbPeer({
      dataDir,
      host: '127.0.0.1',
      port: await freePort(),
      autoFollow: false,
      lanDiscovery: false,
      logger,
      ...options,
    });
    this.peers.push(peer);
    return Object.assign(peer, { logger });
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.peers.splice(0).map((p) => p.close()));
    // jitdb saves some index files asynchronously even after close() called back: retry on ENOTEMPTY.
    await Promise.all(
      this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })),
    );
  }
}

export async function waitFor(what: string, test: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function sequenceOf(peer: SsbPeer, feed: string): Promise<number> {
  return (await peer.feeds()).find((f) => f.id === feed)?.sequence ?? 0;
}
