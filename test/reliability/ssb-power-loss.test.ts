// Power cuts as the SSB peer sees them: SIGKILL at random (seeded) moments while it replicates a friend's
// feed, publishes posts and stores blobs. After every restart the database opens without repair, every
// post and blob it acknowledged is there, and replication picks up where it stopped.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { removeDir, tempDir } from '../helpers/daemon.js';
import { recordFigures } from '../helpers/figures.js';
import { seededRandom } from '../helpers/seeded.js';
import { freePort, PeerSet, sequenceOf, waitFor } from '../helpers/ssb-peers.js';

const CHILD = fileURLToPath(new URL('../fixtures/ssb-child.js', import.meta.url));
const KILLS = Number(process.env.SW_POWER_LOSS_KILLS ?? 12);
const SEED = Number(process.env.SW_POWER_LOSS_SEED ?? 20261125);

interface Acks {
  ready: boolean;
  ownFeed: number;
  published: number;
  blobs: string[];
  errors: string[];
}

function startChild(options: object): { child: ChildProcess; acks: Acks; exited: Promise<void> } {
  const child = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acks: Acks = { ready: false, ownFeed: -1, published: 0, blobs: [], errors: [] };
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let parsed: { ready?: string; feeds?: Array<{ id: string; sequence: number }>; published?: number; blob?: string };
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (parsed.ready) {
      acks.ready = true;
      acks.ownFeed = parsed.feeds?.find((f) => f.id === parsed.ready)?.sequence ?? 0;
    }
    if (typeof parsed.published === 'number') acks.published = parsed.published;
    if (typeof parsed.blob === 'string') acks.blobs.push(parsed.blob);
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => acks.errors.push(d));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, acks, exited };
}

describe('SIGKILL of the SSB peer', { timeout: 300_000 }, () => {
  const peers = new PeerSet();
  const dirs: string[] = [];
  after(async () => {
    await peers.closeAll();
    for (const dir of dirs) await removeDir(dir);
  });

  it(`${KILLS} kills during replication, publishing and blob writes lose nothing acknowledged`, async () => {
    const friend = await peers.start('friend');
    const FRIEND_POSTS = 2000;
    for (let i = 0; i < FRIEND_POSTS; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          friend.publish({ type: 'post', text: `friend ${i + j} ${'x'.repeat(200)}` }),
        ),
      );
    }
    assert.equal(await sequenceOf(friend, friend.id), FRIEND_POSTS);

    const dataDir = await tempDir('sw-power-');
    dirs.push(dataDir);
    const port = await freePort();
    const rand = seededRandom(SEED);
    let acknowledgedPosts = 0;
    const acknowledgedBlobs: string[] = [];
    let id = '';
    for (let kill = 1; kill <= KILLS; kill++) {
      const { child, acks, exited } = startChild({
        dataDir,
        port,
        follow: [friend.id],
        connect: friend.address(),
        publishEveryMs: 10,
        blobEvery: 4,
        blobBytes: 150_000,
      });
      try {
        await waitFor(`restart ${kill} to open its database`, () => acks.ready || child.exitCode !== null, 60_000);
        assert.ok(acks.ready, `the peer did not start after kill ${kill - 1}:\n${acks.errors.join('')}`);
        assert.ok(
          acks.ownFeed >= acknowledgedPosts,
          `after kill ${kill - 1}: ${acks.ownFeed} posts on disk, ${acknowledgedPosts} were acknowledged`,
        );
        await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(rand() * 2500)));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
        await exited;
      }
      acknowledgedPosts = Math.max(acknowledgedPosts, acks.published);
      acknowledgedBlobs.push(...acks.blobs);
    }
    assert.ok(acknowledgedPosts > 0 && acknowledgedBlobs.length > 0, 'the kills came after some acknowledgements');

    // After the last cut: open the same database in this process and check everything.
    const device = await peers.start('after-cuts', { dataDir, port });
    id = device.id;
    assert.ok((await sequenceOf(device, id)) >= acknowledgedPosts, 'every acknowledged post is there');
    for (const blob of acknowledgedBlobs) {
      assert.equal(await device.hasBlob(blob), true, `acknowledged blob ${blob} is missing`);
      const data = await device.getBlob(blob);
      assert.equal(`&${createHash('sha256').update(data).digest('base64')}.sha256`, blob, 'blob intact');
    }
    await device.connect(friend.address());
    await waitFor('replication to finish', async () => (await sequenceOf(device, friend.id)) === FRIEND_POSTS, 60_000);
    recordFigures('ssb-power-loss', {
      killPointsTried: KILLS,
      seed: SEED,
      postsAcknowledged: acknowledgedPosts,
      blobsAcknowledged: acknowledgedBlobs.length,
      lost: 0,
      friendMessagesReplicatedAfterCuts: FRIEND_POSTS,
    });
  });
});
