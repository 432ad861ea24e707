// The town lab's short run (CI): the committed synthetic trace (10 devices, 20 minutes of meetings) replayed
// with real Smallworld devices, everyone following everyone. Contacts carry posts only if they leave time for
// a handshake, so the check is: every post that a chain of contacts could carry with HANDSHAKE real seconds per
// hop arrived, and nothing arrived where no chain allowed it. The full runs are benchmarks (README "Town").
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { adjacency, foremost } from '../../lab/town/limit.js';
import { parseTrace, windowContacts } from '../../lab/town/trace.js';

const MAIN = fileURLToPath(new URL('../../lab/town/main.js', import.meta.url));
const TRACE = fileURLToPath(new URL('../../../lab/town/traces/synthetic-10.txt', import.meta.url));
const SPEED = 15;
const HANDSHAKE_REAL_SECONDS = 10;

interface Json {
  start: number;
  end: number;
  systems: {
    smallworld: {
      delivered: number;
      deliverable: number;
      ratio: number;
      impossible: number;
      posts: Array<{
        author: string;
        at: number;
        deliveries: Array<{ node: string; limit: number | null; delivered: number | null }>;
      }>;
    };
    ssbServer: null;
  };
}

test('town: every post that the meetings can carry with time for a handshake is delivered', {
  timeout: 600_000,
}, async () => {
  const out = await mkdtemp(join(tmpdir(), 'town-ci-'));
  try {
    // To 1320: the last meetings (from 1176, stretched to 120 s) end at 1296 inside the window, not cut short.
    const argv = [MAIN, '--trace', TRACE, '--start', '0', '--end', '1320', '--speed', String(SPEED), '--follow', 'all'];
    argv.push('--seed', '1', '--systems', 'smallworld', '--settle', '3', '--out', out, '--json');
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const json = JSON.parse(stdout) as Json;
    assert.deepEqual(JSON.parse(await readFile(join(out, 'town.json'), 'utf8')), json);
    const s = json.systems.smallworld;
    assert.equal(json.systems.ssbServer, null);
    assert.equal(s.impossible, 0, 'nothing arrives where no chain of contacts allowed it');
    const trace = parseTrace(await readFile(TRACE, 'utf8'));
    const graph = adjacency(windowContacts(trace.contacts, { start: json.start, end: json.end, minContact: 120 }));
    const missed: string[] = [];
    for (const post of s.posts) {
      const strict = foremost(graph, post.author, post.at, json.end, HANDSHAKE_REAL_SECONDS * SPEED);
      for (const d of post.deliveries) {
        if (strict.has(d.node) && d.delivered === null) missed.push(`${post.author}@${post.at} -> ${d.node}`);
      }
    }
    assert.deepEqual(missed, [], 'posts the meetings could carry but that never arrived');
    assert.ok(s.delivered > 0);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});
