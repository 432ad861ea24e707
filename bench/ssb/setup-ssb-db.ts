// Child process of the benchmark: loads fixture messages into a stock ssb-server 16 database directory
// (ssb-db 20, flumedb) with ssb-server's own library and its validated `add`, before the server is started
// on it. The same signed messages as Smallworld's database gets.
// Usage: node setup-ssb-db.js SSB_SERVER_BIN DIR KEYS_JSON MESSAGES.jsonl...
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

interface SsbDbServer {
  add(msg: unknown, cb: (err: Error | null) => void): void;
  close(cb: () => void): void;
}

const [bin, dir, keysFile, ...files] = process.argv.slice(2);
if (!bin || !dir || !keysFile || files.length === 0) {
  throw new Error('usage: setup-ssb-db SSB_SERVER_BIN DIR KEYS_JSON MESSAGES.jsonl...');
}
const require = createRequire(bin);
// ssb-server's main module: secret-stack with ssb-db, the main network's caps.
const createServer = require('ssb-server') as (config: object) => SsbDbServer;
const caps = require('ssb-caps') as { shs: string };
const keys = JSON.parse(await readFile(keysFile, 'utf8')) as object;
const sbot = createServer({ path: dir, keys, caps: { shs: caps.shs }, connections: { incoming: {}, outgoing: {} } });

const started = Date.now();
let count = 0;
for (const file of files) {
  const msgs = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as unknown);
  // ssb-db queues adds per feed in order; keeping a few hundred in flight is much faster than one by one.
  await new Promise<void>((resolve, reject) => {
    let next = 0;
    let inFlight = 0;
    let failed = false;
    const pump = () => {
      if (failed) return;
      if (next >= msgs.length && inFlight === 0) return resolve();
      while (next < msgs.length && inFlight < 500) {
        inFlight++;
        sbot.add(msgs[next++], (err) => {
          inFlight--;
          if (err) {
            failed = true;
            reject(err);
            return;
          }
          count++;
          pump();
        });
      }
    };
    pump();
  });
}
await new Promise<void>((resolve) => sbot.close(resolve));
process.stdout.write(`${JSON.stringify({ added: count, ms: Date.now() - started })}\n`);
process.exit(0);
