// Child process of the benchmark: after a Smallworld device stopped, reads from its ssb-db2 database when
// each message arrived (ssb-db2 stamps every record with its local receive time), per author. These are
// the end points of the replication figures, so polling intervals do not blur them.
// Usage: node read-db2.js SSB_DIR [SEQUENCE...]
//   -> {"@author": {"count", "maxSequence", "firstReceived", "lastReceived", "at": {"SEQUENCE": time}}}
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface Kvt {
  value: { author: string; sequence: number };
  timestamp: number;
}
interface Db2Server {
  db: { query(...ops: unknown[]): void };
  close(force: boolean, cb: () => void): void;
}

const [dir, ...sequenceArgs] = process.argv.slice(2);
const sequences = new Set(sequenceArgs.map(Number));
if (!dir) throw new Error('usage: read-db2 SSB_DIR');
const require = createRequire(import.meta.url);
const SecretStack = require('secret-stack') as (d: object) => { use(p: unknown): (c: object) => Db2Server };
const caps = require('ssb-caps') as { shs: string };
const ssbKeys = require('ssb-keys') as { loadSync(path: string): object };
const { toCallback } = require('ssb-db2/operators') as {
  toCallback(cb: (err: Error | null, m: Kvt[]) => void): unknown;
};
const sbot = SecretStack({ caps: { shs: caps.shs } }).use(require('ssb-db2'))({
  path: dir,
  keys: ssbKeys.loadSync(join(dir, 'secret')),
  caps: { shs: caps.shs },
  connections: { incoming: {}, outgoing: {} },
});
const msgs = await new Promise<Kvt[]>((resolve, reject) =>
  sbot.db.query(toCallback((err, m) => (err ? reject(err) : resolve(m)))),
);
interface Receipt {
  count: number;
  maxSequence: number;
  firstReceived: number;
  lastReceived: number;
  at: Record<number, number>;
}
const feeds: Record<string, Receipt> = {};
for (const { value, timestamp } of msgs) {
  const f = feeds[value.author] ?? {
    count: 0,
    maxSequence: 0,
    firstReceived: timestamp,
    lastReceived: timestamp,
    at: {},
  };
  feeds[value.author] = f;
  if (sequences.has(value.sequence)) f.at[value.sequence] = timestamp;
  f.count++;
  f.maxSequence = Math.max(f.maxSequence, value.sequence);
  f.firstReceived = Math.min(f.firstReceived, timestamp);
  f.lastReceived = Math.max(f.lastReceived, timestamp);
}
await new Promise<void>((resolve) => sbot.close(true, resolve));
process.stdout.write(`${JSON.stringify(feeds)}\n`);
process.exit(0);
