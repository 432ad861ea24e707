// Drives a stock ssb-server 16 from the benchmark through its own client library (ssb-client) over the
// server's unix socket (`DIR/socket`, no-auth as the server's own CLI is), so no CLI process is spawned per
// call and no TCP delay (see the facts note on Nagle) slows the driver down. Unix sockets are reachable from
// outside the server's network namespace.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

type Cb<T> = (err: Error | null, value?: T) => void;
type Source<T> = (abort: boolean | null, cb: (end: unknown, data?: T) => void) => void;

interface Rpc {
  whoami(cb: Cb<{ id: string }>): void;
  publish(content: object, cb: Cb<unknown>): void;
  getVectorClock(cb: Cb<Record<string, number>>): void;
  createHistoryStream(opts: object): Source<{ key: string; value: { sequence: number }; timestamp: number }>;
  gossip: { connect(address: string, cb: Cb<unknown>): void; peers(cb: Cb<unknown[]>): void };
  blobs: {
    want(id: string, cb: Cb<boolean>): void;
    has(id: string, cb: Cb<boolean>): void;
    add(cb: Cb<string>): (read: Source<Buffer>) => void;
  };
  close(force: boolean, cb: (err?: Error | null) => void): void;
}

function call<T>(run: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value as T))));
}

function collect<T>(source: Source<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    const next = () =>
      source(null, (end, data) => {
        if (end === true) return resolve(items);
        if (end) return reject(end instanceof Error ? end : new Error(String(end)));
        items.push(data as T);
        next();
      });
    next();
  });
}

export class SsbServerClient {
  private constructor(private readonly rpc: Rpc) {}

  /**
   * The client libraries, loaded once per benchmark process. Called before any run, so that loading them is
   * not counted in the first ssb-server's cold start (the benchmark's own work, not the server's).
   */
  static load(bin: string) {
    const require = createRequire(bin);
    return {
      Client: require('ssb-client/client') as (opts: object, cb: Cb<Rpc>) => void,
      ssbKeys: require('ssb-keys') as { loadSync(path: string): { public: string } },
      caps: require('ssb-caps') as { shs: string },
    };
  }

  static async connect(bin: string, dir: string): Promise<SsbServerClient> {
    const { Client, ssbKeys, caps } = SsbServerClient.load(bin);
    const keys = ssbKeys.loadSync(join(dir, 'secret'));
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as object;
    const rpc = await call<Rpc>((cb) =>
      Client(
        {
          keys,
          remote: `unix:${join(dir, 'socket')}~noauth:${keys.public}`,
          config: { caps: { shs: caps.shs } },
          manifest,
        },
        cb,
      ),
    );
    return new SsbServerClient(rpc);
  }

  async whoami(): Promise<string> {
    return (await call<{ id: string }>((cb) => this.rpc.whoami(cb))).id;
  }

  publish(content: object): Promise<unknown> {
    return call((cb) => this.rpc.publish(content, cb));
  }

  follow(id: string): Promise<unknown> {
    return this.publish({ type: 'contact', contact: id, following: true });
  }

  connect(address: string): Promise<unknown> {
    return call((cb) => this.rpc.gossip.connect(address, cb));
  }

  vectorClock(): Promise<Record<string, number>> {
    return call((cb) => this.rpc.getVectorClock(cb));
  }

  /** When a feed's message arrived here (ssb-db stamps each record with its local receive time). */
  async receivedAt(id: string, sequence: number): Promise<number | null> {
    const msgs = await collect(this.rpc.createHistoryStream({ id, seq: sequence, limit: 1, keys: true }));
    const msg = msgs[0];
    return msg && msg.value.sequence === sequence ? msg.timestamp : null;
  }

  /** When each of a feed's messages from `from` on arrived here: sequence -> local receive time. */
  async receivedTimes(id: string, from: number): Promise<Map<number, number>> {
    const msgs = await collect(this.rpc.createHistoryStream({ id, seq: from, keys: true }));
    return new Map(msgs.map((m) => [m.value.sequence, m.timestamp]));
  }

  /** Stores a blob; its id. */
  addBlob(bytes: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
      let sent = false;
      const source: Source<Buffer> = (abort, cb) => {
        if (abort || sent) return cb(true);
        sent = true;
        cb(null, bytes);
      };
      this.rpc.blobs.add((err, id) => (err ? reject(err) : resolve(id as string)))(source);
    });
  }

  want(id: string): Promise<boolean> {
    return call((cb) => this.rpc.blobs.want(id, cb));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.rpc.close(true, () => resolve()));
  }
}
