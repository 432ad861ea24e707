// Reusable pieces for browser tests: a real daemon in a temporary data directory, Debian's Chromium,
// plain HTTP requests with hand-made headers, and cleanup by process id (never by name).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import type { FullStatus } from '../../src/device/daemon.js';
import { freePort } from './daemon.js';

const run = promisify(execFile);

/** The repository root (this file runs from dist/test/helpers/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const ARTIFACTS = join(ROOT, 'test-artifacts');
export const CHROMIUM = '/usr/bin/chromium';

/** A TCP port nobody listens on right now (asked from the kernel, then released). */
/** A fresh directory under the system temp dir (kept short: it holds a Unix socket). */
export async function makeTempDir(prefix = 'sw-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true, maxRetries: 3 });
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Ends a process group we started (detached, so the leader's pid is the group id): SIGTERM, a grace
 * period, then SIGKILL for whatever is left (e.g. a forked child that ignored the parent going away).
 */
export async function killGroup(pid: number | undefined, graceMs = 5000): Promise<void> {
  if (pid === undefined || !groupAlive(pid)) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return;
  }
  for (const deadline = Date.now() + graceMs; Date.now() < deadline && groupAlive(pid); ) await sleep(50);
  if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
}

export interface RunningDaemon {
  pid: number;
  dataDir: string;
  /** The web page's address, e.g. http://127.0.0.1:40123/ */
  url: string;
  status(): Promise<FullStatus>;
  /** What the daemon and its peer process printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** `smallworld status --json --data D`, exactly as a user would run it. */
export async function cliStatus(dataDir: string): Promise<FullStatus> {
  const { stdout } = await run(process.execPath, [CLI, 'status', '--json', '--data', dataDir], { timeout: 5000 });
  return JSON.parse(stdout) as FullStatus;
}

/** Starts `smallworld start --sim` on a free web port and waits until the status shows the page's URL. */
export async function startDaemon(dataDir: string, timeoutMs = 20_000, withSsb = false): Promise<RunningDaemon> {
  const port = await freePort();
  const ssbPort = withSsb ? await freePort() : 0;
  const args = [CLI, 'start', '--sim', '--data', dataDir, '--web-host', '127.0.0.1', '--web-port', String(port)];
  args.push('--ssb-host', '127.0.0.1', '--ssb-port', String(ssbPort));
  const child: ChildProcess = spawn(process.execPath, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SMALLWORLD_LOG_LEVEL: 'debug' },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the daemon');
  const safetyNet = () => {
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
  };
  process.once('exit', safetyNet);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: string | null = null;
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? `code ${code}`}`;
  });

  const daemon: RunningDaemon = {
    pid,
    dataDir,
    url: '',
    status: () => cliStatus(dataDir),
    output: () => output,
    stop: async () => {
      await killGroup(pid);
      process.off('exit', safetyNet);
    },
  };
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (exited) {
      await daemon.stop();
      throw new Error(`the daemon ${exited} before its web page came up:\n${output}`);
    }
    try {
      const status = await cliStatus(dataDir);
      if (status.web.url) return { ...daemon, url: status.web.url };
      last = 'status has no web.url yet';
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(150);
  }
  await daemon.stop();
  throw new Error(`the daemon's web page did not come up within ${timeoutMs} ms (${last}):\n${output}`);
}

export interface RunningBrowser {
  browser: Browser;
  pid: number;
  close(): Promise<void>;
}

/** Debian's Chromium, headless. Fails (never skips) when it is not installed. */
export async function launchChromium(): Promise<RunningBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM}; install it with "apt-get install -y chromium"`);
  }
  // launchServer rather than launch: the same browser, but we learn its pid for the cleanup.
  const server = await chromium.launchServer({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  const pid = server.process().pid;
  if (pid === undefined) throw new Error('Chromium started without a pid');
  const browser = await chromium.connect(server.wsEndpoint());
  return {
    browser,
    pid,
    close: async () => {
      await Promise.race([browser.close().then(() => server.close()), sleep(5000)]).catch(() => undefined);
      // Playwright starts Chromium as its own process group; take down any straggler by that id.
      await killGroup(pid, 1000);
    },
  };
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): unknown;
}

/** An HTTP request with exactly the headers given (fetch would not let us forge Host). */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, timeout: 5000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) as unknown }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes a text artifact under test-artifacts/ (for looking at after a failure). */
export async function saveArtifact(relativePath: string, content: string): Promise<string> {
  const path = join(ARTIFACTS, relativePath);
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, content);
  return path;
}
