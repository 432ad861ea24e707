// The 2021 seed's auto-follow for stock ssb-server, as the benchmark's ssb-server side uses it: listen for the
// legacy LAN beacons on UDP 8008 (sharing the port with ssb-server's own ssb-local), and publish a follow
// the first time a key is heard. As the seed's ssbAutoFollow it trusts the beacon; unlike it, it publishes
// through ssb-server's client API instead of spawning `ssb-server publish` (which is slower), and it skips
// its own server's beacon. Runs inside the server's network namespace; one JSON line per event on stdout.
// Usage: node ssb-server-autofollow.js SSB_SERVER_BIN DIR
import { createSocket } from 'node:dgram';
import { SsbServerClient } from './ssb-server-client.js';

const [bin, dir] = process.argv.slice(2);
if (!bin || !dir) throw new Error('usage: ssb-server-autofollow SSB_SERVER_BIN DIR');
const client = await SsbServerClient.connect(bin, dir);
const self = await client.whoami();
const followed = new Set<string>();
const emit = (event: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ ...event, at: Date.now() })}\n`);

const socket = createSocket({ type: 'udp4', reuseAddr: true });
socket.on('message', (buf) => {
  // `net:10.0.0.5:8008~shs:<base64 key>`, possibly several addresses joined by `;`.
  const match = /^net:[^:]+:\d+~shs:([A-Za-z0-9+/]{43}=)/.exec(buf.toString('utf8'));
  if (!match) return;
  const id = `@${match[1]}.ed25519`;
  if (id === self || followed.has(id)) return;
  followed.add(id);
  emit({ event: 'beacon', id });
  client.follow(id).then(
    () => emit({ event: 'followed', id }),
    (error: Error) => {
      followed.delete(id);
      emit({ event: 'error', id, error: error.message });
    },
  );
});
socket.bind(8008, () => emit({ event: 'listening', self }));
const stop = () => {
  socket.close();
  void client.close().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
