// Churn soak: ten real Smallworld devices and phones in network namespaces on one bridge, with a follow
// graph shaped like the report's scenarios. Links are cut and restored at random (seeded) every few
// seconds while everyone keeps publishing posts and some photos. Afterwards, with every link back, each
// holds exactly what the follow graph entitles it to: nothing missing, nothing extra. Memory and open file
// descriptors of every process are sampled throughout and must stay bounded.
//   SW_SOAK_SECONDS (default 600), SW_SOAK_SEED: duration and seed of the churn.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { peerSocketPathFor } from '../../src/peer/peer-process.js';
import { PeerClient } from '../../src/ssb/peer-client.js';
import type { PeerProtocol } from '../../src/ssb/protocol.js';
import { recordFigures } from '../helpers/figures.js';
import { type LanPeer, LanWorld } from '../helpers/lan-devices.js';
import { smallworldProcesses } from '../helpers/proc.js';
import { seededRandom } from '../helpers/seeded.js';

const SOAK_MS = Number(process.env.SW_SOAK_SECONDS ?? 600) * 1000;
const SEED = Number(process.env.SW_SOAK_SEED ?? 42);
const HOPS = 2;
const CONVERGE_MS = 240_000;

// People and their devices, after the report's Figures 5.3 and 5.4: Alice follows her device and Bob, Bob
// and Carol follow theirs, devices that met follow each other, Dave follows Carol, Erin's device follows
// Dave's. Alice blocks Bob's device, which she would otherwise get as a follow of a follow.
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'rpia', 'rpib', 'rpic', 'rpid', 'rpie'] as const;
type Name = (typeof NAMES)[number];
const FOLLOWS: Array<[Name, Name]> = [
  ['alice', 'rpia'],
  ['rpia', 'alice'],
  ['alice', 'bob'],
  ['bob', 'rpib'],
  ['rpib', 'bob'],
  ['rpib', 'rpic'],
  ['rpic', 'rpib'],
  ['carol', 'rpic'],
  ['rpic', 'carol'],
  ['dave', 'rpid'],
  ['rpid', 'dave'],
  ['dave', 'carol'],
  ['erin', 'rpie'],
  ['rpie', 'erin'],
  ['rpie', 'rpid'],
];
const BLOCKS: Array<[Name, Name]> = [['alice', 'rpib']];

/** Who each one replicates: everyone within HOPS follows, never through or to someone it blocks. */
function entitlements(): Map<Name, Set<Name>> {
  const result = new Map<Name, Set<Name>>();
  for (const root of NAMES) {
    const blocked = new Set(BLOCKS.filter(([from]) => from === root).map(([, to]) => to));
    const seen = new Set<Name>([root]);
    let frontier: Name[] = [root];
    for (let hop = 1; hop <= HOPS; hop++) {
      const next: Name[] = [];
      for (const from of frontier) {
        for (const [a, b] of FOLLOWS) {
          if (a !== from || seen.has(b) || blocked.has(b)) continue;
          seen.add(b);
          next.push(b);
        }
      }
      frontier = next;
    }
    result.set(root, seen);
  }
  return result;
}

test(`churn soak: 10 devices, ${SOAK_MS / 1000} s of random link cuts (seed ${SEED})`, {
  timeout: SOAK_MS + CONVERGE_MS + 300_000,
}, async () => {
  const world = await LanWorld.create();
  const clients = new Map<Name, PeerClient>();
  try {
    const peers = new Map<Name, LanPeer>();
    for (const name of NAMES) peers.set(name, await world.add(name, { autoFollow: false }));
    const peer = (name: Name) => peers.get(name) as LanPeer;
    for (const name of NAMES) clients.set(name, await PeerClient.connect(peerSocketPathFor(peer(name).dataDir)));
    const call = <Q extends PeerProtocol['request']>(name: Name, request: Q) =>
      (clients.get(name) as PeerClient).send(request, 60_000);

    // Acknowledged sequence per author: what the publisher's API confirmed as stored.
    const acknowledged = new Map<Name, number>();
    const photos = new Map<Name, string[]>();
    const ack = (name: Name, sequence: number) =>
      acknowledged.set(name, Math.max(acknowledged.get(name) ?? 0, sequence));
    for (const [from, to] of FOLLOWS) await call(from, { cmd: 'ssb.follow', feed: peer(to).id });
    for (const [from, to] of BLOCKS) await call(from, { cmd: 'ssb.block', feed: peer(to).id });
    const ownSequence = async (name: Name) =>
      (await call(name, { cmd: 'ssb.feeds' })).find((f) => f.id === peer(name).id)?.sequence ?? 0;
    for (const name of NAMES) ack(name, await ownSequence(name));

    const rand = seededRandom(SEED);
    const started = Date.now();
    const end = started + SOAK_MS;
    let published = 0;
    let photosPublished = 0;
    let cuts = 0;
    const linked = new Set<Name>(NAMES);
    const curves: Array<{ t: number; rssMiB: Record<string, number>; fds: Record<string, number> }> = [];
    const errors: string[] = [];

    const publisher = async (name: Name) => {
      let n = 0;
      while (Date.now() < end) {
        n++;
        try {
          if (n % 8 === 0) {
            const data = randomBytes(40_000 + Math.floor(rand() * 60_000)).toString('base64');
            const answer = await call(name, {
              cmd: 'ssb.photo',
              data,
              mime: 'image/jpeg',
              text: `${name} photo ${n}`,
            });
            ack(name, answer.sequence);
            photos.set(name, [...(photos.get(name) ?? []), answer.blob]);
            photosPublished++;
          } else {
            const text = `${name} post ${n}: ${randomBytes(60 + Math.floor(rand() * 200)).toString('base64')}`;
            const answer = await call(name, { cmd: 'ssb.publish', content: { type: 'post', text } });
            ack(name, answer.sequence);
          }
          published++;
        } catch (error) {
          errors.push(`${name}: ${(error as Error).message}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 1500 + rand() * 2000));
      }
    };
    const churn = async () => {
      while (Date.now() < end) {
        await new Promise((resolve) => setTimeout(resolve, 2000 + rand() * 4000));
        if (Date.now() >= end) break;
        const name = NAMES[Math.floor(rand() * NAMES.length)] as Name;
        if (linked.has(name) && linked.size > 2) {
          await world.lan.cut(name);
          linked.delete(name);
          cuts++;
        } else if (!linked.has(name)) {
          await world.lan.restore(name);
          linked.add(name);
        }
      }
    };
    const sampler = async () => {
      while (Date.now() < end) {
        const point = { t: Math.round((Date.now() - started) / 1000), rssMiB: {}, fds: {} } as (typeof curves)[0];
        for (const name of NAMES) {
          const root = peer(name).child.pid;
          if (root === undefined) continue;
          for (const p of smallworldProcesses(root)) {
            point.rssMiB[`${name}.${p.role}`] = p.rssMiB;
            point.fds[`${name}.${p.role}`] = p.fds;
          }
        }
        curves.push(point);
        await new Promise((resolve) => setTimeout(resolve, 10_000));
      }
    };
    await Promise.all([...NAMES.map(publisher), churn(), sampler()]);
    const lastPublish = Date.now();
    for (const name of NAMES) if (!linked.has(name)) await world.lan.restore(name);
    const restoredAt = Date.now();

    // Converge: each holds exactly its entitled feeds, each at the author's acknowledged sequence.
    const expected = entitlements();
    const ids = new Map(NAMES.map((n) => [peer(n).id, n] as const));
    const state = async () => {
      let missing = 0;
      const extra: string[] = [];
      for (const name of NAMES) {
        const feeds = await call(name, { cmd: 'ssb.feeds' });
        const held = new Map(feeds.map((f) => [ids.get(f.id) ?? f.id, f.sequence] as const));
        for (const author of expected.get(name) ?? []) {
          missing += Math.max(0, (acknowledged.get(author) ?? 0) - (held.get(author as Name) ?? 0));
        }
        for (const author of held.keys()) {
          if (!expected.get(name)?.has(author as Name)) extra.push(`${name} holds ${author}`);
        }
      }
      return { missing, extra };
    };
    let last = await state();
    while (last.missing > 0 && Date.now() - restoredAt < CONVERGE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      last = await state();
    }
    const convergedMs = Date.now() - restoredAt;

    // Photos: every entitled holder has each one, byte-identical (the id is its hash).
    let photosMissing = 0;
    for (const name of NAMES) {
      for (const author of expected.get(name) ?? []) {
        if (author === name) continue;
        for (const blob of photos.get(author) ?? []) {
          const got = await call(name, { cmd: 'ssb.blob.get', blob, timeoutMs: 20_000 }).catch(() => null);
          if (got?.id !== blob) photosMissing++;
        }
      }
    }

    const maxOf = (key: 'rssMiB' | 'fds', role: string) =>
      Math.max(
        0,
        ...curves.flatMap((p) =>
          Object.entries(p[key])
            .filter(([k]) => k.endsWith(role))
            .map(([, v]) => v),
        ),
      );
    const third = Math.max(1, Math.floor(curves.length / 3));
    const peakIn = (points: typeof curves, key: 'rssMiB' | 'fds') =>
      Math.max(0, ...points.flatMap((p) => Object.values(p[key])));
    const figures = {
      seconds: SOAK_MS / 1000,
      seed: SEED,
      devices: NAMES.length,
      linkCuts: cuts,
      messagesPublished: published,
      photosPublished,
      messagesLost: last.missing,
      photosLost: photosMissing,
      extraFeeds: last.extra.length,
      convergeAfterLastLinkMs: convergedMs,
      sinceLastPublishMs: Date.now() - lastPublish,
      peakRssMiB: { daemon: maxOf('rssMiB', 'daemon'), peer: maxOf('rssMiB', 'peer') },
      peakFds: { daemon: maxOf('fds', 'daemon'), peer: maxOf('fds', 'peer') },
      firstThirdPeak: { rssMiB: peakIn(curves.slice(0, third), 'rssMiB'), fds: peakIn(curves.slice(0, third), 'fds') },
      lastThirdPeak: { rssMiB: peakIn(curves.slice(-third), 'rssMiB'), fds: peakIn(curves.slice(-third), 'fds') },
      publishErrors: errors.length,
    };
    recordFigures('churn-soak', { ...figures, curves });
    assert.deepEqual(last.extra, [], 'nobody holds a feed the follow graph does not entitle it to');
    assert.equal(last.missing, 0, 'messages lost');
    assert.equal(photosMissing, 0, 'photos lost');
    assert.ok(published > NAMES.length, 'everyone published during the churn');
    // Bounded: no process grows without limit. Generous ceilings; the curves are in the figures.
    assert.ok(figures.peakRssMiB.peer < 400, `peer RSS peaked at ${figures.peakRssMiB.peer} MiB`);
    assert.ok(figures.peakRssMiB.daemon < 200, `daemon RSS peaked at ${figures.peakRssMiB.daemon} MiB`);
    assert.ok(figures.peakFds.peer < 256 && figures.peakFds.daemon < 128, JSON.stringify(figures.peakFds));
  } finally {
    for (const client of clients.values()) client.close();
    await world.destroy();
  }
});
