// Reusable pieces for browser tests: a real daemon in a temporary data directory, Debian's Chromium,
// plain HTTP requests with hand-made headers, and cleanup by process id (never by name).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ControlClient } from '../../src/control/client.js';
import type { ArgsOf, Command, ControlReplies, DeviceProtocol } from '../../src/control/protocol.js';
import type { FullStatus } from '../../src/device/status.js';
import { PeerClient } from '../../src/ssb/peer-client.js';
import type { PeerCommand, PeerProtocol, PeerReplies } from '../../src/ssb/protocol.js';
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

/**
 * Starts `smallworld start --sim` on a free web port and waits until the status shows the page's URL.
 * `extraArgs` go to `start` as they are (e.g. `--no-auto-follow`).
 */
export async function startDaemon(
  dataDir: string,
  timeoutMs = 20_000,
  withSsb = false,
  extraArgs: string[] = [],
): Promise<RunningDaemon> {
  const port = await freePort();
  const ssbPort = withSsb ? await freePort() : 0;
  const args = [CLI, 'start', '--sim', '--data', dataDir, '--web-host', '127.0.0.1', '--web-port', String(port)];
  args.push('--ssb-host', '127.0.0.1', '--ssb-port', String(ssbPort), ...extraArgs);
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
export async function launchChromium(extraArgs: string[] = []): Promise<RunningBrowser> {
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
      ...extraArgs,
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
  options: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    timeoutMs?: number;
    /** The client's own address (another loopback address is another client). */
    localAddress?: string;
  } = {},
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? 'GET',
        headers: options.headers,
        timeout: options.timeoutMs ?? 5000,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
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

// ---- logging in ----------------------------------------------------------------------------------------

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface AdminSession {
  /** The session cookie's value (sw_session). */
  session: string;
  csrf: string;
  /** Headers for an authenticated state change: the cookie and the CSRF token. */
  headers(extra?: Record<string, string>): Record<string, string>;
}

/** The Set-Cookie values of an answer, by name. */
export function setCookies(answer: HttpAnswer): Map<string, string> {
  const raw = answer.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [raw] : [];
  const cookies = new Map<string, string>();
  for (const line of list) {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
  }
  return cookies;
}

/** A pre-login cookie and its CSRF token, as the login and setup pages get them. */
export async function preLogin(url: string): Promise<{ cookie: string; csrf: string }> {
  const answer = await rawRequest(new URL('/api/session', url).href);
  const pre = setCookies(answer).get('sw_pre');
  if (!pre) throw new Error(`no pre-login cookie from ${url}: ${answer.status} ${answer.body}`);
  return { cookie: `sw_pre=${pre}`, csrf: (answer.json() as { csrf: string }).csrf };
}

function adminSession(answer: HttpAnswer): AdminSession {
  const session = setCookies(answer).get('sw_session');
  if (answer.status !== 200 || !session) throw new Error(`no session: ${answer.status} ${answer.body}`);
  const csrf = (answer.json() as { csrf: string }).csrf;
  return {
    session,
    csrf,
    headers: (extra = {}) => ({ Cookie: `sw_session=${session}`, 'X-CSRF-Token': csrf, ...extra }),
  };
}

/** The simulator's first setup, as a person would do it: the one-time code from DATA/peer/web-setup-code. */
export async function setUpAdmin(daemon: RunningDaemon, password = ADMIN_PASSWORD): Promise<AdminSession> {
  const code = (await readFile(join(daemon.dataDir, 'peer', 'web-setup-code'), 'utf8')).trim();
  const pre = await preLogin(daemon.url);
  const answer = await rawRequest(new URL('/api/setup', daemon.url).href, {
    method: 'POST',
    headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ password, confirm: password, code }),
  });
  return adminSession(answer);
}

export async function logIn(url: string, password = ADMIN_PASSWORD): Promise<AdminSession> {
  const pre = await preLogin(url);
  const answer = await rawRequest(new URL('/api/login', url).href, {
    method: 'POST',
    headers: { Cookie: pre.cookie, 'X-CSRF-Token': pre.csrf, 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  return adminSession(answer);
}

/** Gives a browser context the session, so its pages are logged in. */
export async function addSession(context: BrowserContext, url: string, admin: AdminSession): Promise<void> {
  await context.addCookies([
    { name: 'sw_session', value: admin.session, url: new URL('/', url).href, httpOnly: true, sameSite: 'Strict' },
  ]);
}

/** A JSON call to the GUI's API with the session (and the CSRF token on POSTs). */
export async function apiCall(
  url: string,
  admin: AdminSession,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const answer = await rawRequest(new URL(path, url).href, {
    method: body === undefined ? 'GET' : 'POST',
    headers: admin.headers(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  let json: Record<string, unknown> = {};
  try {
    json = answer.json() as Record<string, unknown>;
  } catch {
    json = { raw: answer.body };
  }
  return { status: answer.status, json };
}

/**
 * Saves a screenshot under test-artifacts/screenshots; the ones the README shows (`docs: true`) also go to
 * docs/images when SMALLWORLD_UPDATE_DOCS=1 (so an ordinary test run leaves the work tree alone).
 */
export async function saveScreenshot(
  page: Page,
  name: string,
  options: { fullPage?: boolean; docs?: boolean } = {},
): Promise<void> {
  const dir = join(ARTIFACTS, 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await page.screenshot({ path, fullPage: options.fullPage ?? true, animations: 'disabled' });
  if (options.docs && process.env.SMALLWORLD_UPDATE_DOCS === '1')
    await copyFile(path, join(ROOT, 'docs', 'images', name));
}

// ---- test pictures --------------------------------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const byte of bytes) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A real PNG of one colour with a diagonal stripe (so photos differ and can be recognised). */
export function makePng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x++) {
      const stripe = Math.abs(x - y) < 4;
      row.set(stripe ? [255, 255, 255] : rgb, 1 + x * 3);
    }
    rows.push(row);
  }
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A multipart/form-data body, for posting to the Feed API by hand. */
export function multipartBody(
  fields: Array<{ name: string; value: string } | { name: string; filename: string; type: string; data: Buffer }>,
): { body: Buffer; contentType: string } {
  const boundary = `----smallworld${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const field of fields) {
    const head =
      'filename' in field
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${field.name}"; filename="${field.filename}"\r\nContent-Type: ${field.type}\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${field.name}"\r\n\r\n`;
    parts.push(Buffer.from(head), 'filename' in field ? field.data : Buffer.from(field.value), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** A request to the SSB peer's own socket (DATA/peer/peer.sock), as `smallworld ssb …` makes them. */
export async function peerCall<C extends PeerCommand>(
  dataDir: string,
  cmd: C,
  args?: ArgsOf<PeerProtocol, C>,
): Promise<PeerReplies[C]> {
  const client = await PeerClient.connect(join(dataDir, 'peer', 'peer.sock'));
  try {
    return await client.send({ ...args, cmd } as Extract<PeerProtocol['request'], { cmd: C }>, 20_000);
  } finally {
    client.close();
  }
}

/** A request to the connectivity daemon's control socket. */
export async function daemonCall<C extends Command>(
  dataDir: string,
  cmd: C,
  args?: ArgsOf<DeviceProtocol, C>,
): Promise<ControlReplies[C]> {
  const client = await ControlClient.connect(join(dataDir, 'control.sock'));
  try {
    return await client.send({ ...args, cmd } as Extract<DeviceProtocol['request'], { cmd: C }>, 20_000);
  } finally {
    client.close();
  }
}
