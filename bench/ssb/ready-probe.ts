// Run inside a device's network namespace by the cold start scenario (systems.ts), started before the system
// under test: polls the system's network ports from where a phone or another device would reach them, and
// prints one JSON line per port with the time (ms since the epoch) it first answered.
//
//   node dist/bench/ssb/ready-probe.js TIMEOUT_MS TARGET...
//
// A target is `tcp:HOST:PORT` (a TCP connection is accepted: the SSB port) or `http:URL` (a GET answers
// with a status below 500: the web page). Prints `{"probing":true}` once it polls, `{"target":…,"at":…}` per
// port, and exits 0 when every port answered, 1 at the time limit.
import { request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 10;

function tcpAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(false));
  });
}

function httpAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(false));
    req.end();
  });
}

function probeOf(target: string): () => Promise<boolean> {
  if (target.startsWith('http:')) {
    const url = target.slice('http:'.length);
    return () => httpAnswers(url);
  }
  const match = /^tcp:(.+):(\d+)$/.exec(target);
  if (!match) throw new Error(`not a target: ${target} (tcp:HOST:PORT or http:URL)`);
  const host = match[1] ?? '';
  const port = Number(match[2]);
  return () => tcpAnswers(host, port);
}

const [timeoutArg, ...targets] = process.argv.slice(2);
const timeoutMs = Number(timeoutArg);
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0 || targets.length === 0) {
  process.stderr.write('usage: node ready-probe.js TIMEOUT_MS tcp:HOST:PORT|http:URL ...\n');
  process.exit(2);
}
const deadline = Date.now() + timeoutMs;
process.stdout.write(`${JSON.stringify({ probing: true })}\n`);
await Promise.all(
  targets.map(async (target) => {
    const answers = probeOf(target);
    while (Date.now() < deadline) {
      if (await answers()) {
        process.stdout.write(`${JSON.stringify({ target, at: Date.now() })}\n`);
        return;
      }
      await sleep(POLL_MS);
    }
    process.stdout.write(`${JSON.stringify({ target, timedOut: true })}\n`);
    process.exitCode = 1;
  }),
);
