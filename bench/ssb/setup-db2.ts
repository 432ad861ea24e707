// Child process of the benchmark: loads fixture messages into an ssb-db2 database directory, the way
// Smallworld's peer stores them (`DATA/peer/ssb`), before the device is started on it. Each feed goes in
// with ssb-db2's own validated addBatch, so nothing here is trusted that the peer would check.
// Usage: node setup-db2.js SSB_DIR KEYS_JSON MESSAGES.jsonl...
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

interface Db2Server {
  db: { addBatch(msgs: unknown[], opts: object, cb: (err: Error | null) => void): void };
  close(force: boolean, cb: () => void): void;
}

const [dir, keysFile, ...files] = process.argv.slice(2);
if (!dir || !keysFile || files.length === 0) throw new Error('usage: setup-db2 SSB_DIR KEYS_JSON MESSAGES.jsonl...');
const require = createRequire(import.meta.url);
const SecretStack = require('secret-stack') as (d: object) => { use(p: unknown): (c: object) => Db2Server };
const caps = require('ssb-caps') as { shs: string };
const keys = JSON.parse(await readFile(keysFile, 'utf8')) as object;
const sbot = SecretStack({ caps: { shs: caps.shs } }).use(require('ssb-db2'))({
  path: dir,
  keys,
  caps: { shs: caps.shs },
  connections: { incoming: {}, outgoing: {} },
});

const addBatch = (msgs: unknown[]) =>
  new Promise<void>((resolve, reject) => sbot.db.addBatch(msgs, {}, (err) => (err ? reject(err) : resolve())));

const started = Date.now();
let count = 0;
for (const file of files) {
  const lines = (await readFile(file, 'utf8')).split('\n').filter((l) => l.length > 0);
  let batch: Array<{ author: string }> = [];
  for (const line of lines) {
    const msg = JSON.parse(line) as { author: string };
    if (batch.length > 0 && (batch[0]?.author !== msg.author || batch.length >= 1000)) {
      await addBatch(batch);
      batch = [];
    }
    batch.push(msg);
    count++;
  }
  if (batch.length > 0) await addBatch(batch);
}
await new Promise<void>((resolve) => sbot.close(true, resolve));
process.stdout.write(`${JSON.stringify({ added: count, ms: Date.now() - started })}\n`);
process.exit(0);
