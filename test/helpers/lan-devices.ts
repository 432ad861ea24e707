// Smallworld devices (and their users' SSB apps, played by Smallworld peers without auto-follow) on a
// virtual LAN of network namespaces. Each runs the real `smallworld start --sim` in its own namespace; the
// test talks to it through its sockets with the real CLI.
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { VirtualLan } from '../../lab/lan/virtual-lan.js';
import { peerSocketPathFor } from '../../src/peer/peer-process.js';
import { CLI, cli, removeDir, tempDir } from './daemon.js';

export interface Feed {
  id: string;
  sequence: number;
}

export class LanPeer {
  readonly logs: string[] = [];
  id = '';
  constructor(
    readonly name: string,
    readonly dataDir: string,
    readonly child: ChildProcess,
  ) {
    child.stdout?.setEncoding('utf8').on('data', (d: string) => this.logs.push(d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => this.logs.push(d));
  }

  ssb<T = unknown>(args: string[]): T {
    const result = cli(['ssb', ...args, '--json', '--data', this.dataDir]);
    if (result.code !== 0)
      throw new Error(`${this.name}: smallworld ssb ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  feeds(): Feed[] {
    return this.ssb<Feed[]>(['feeds']);
  }

  sequenceOf(id: string): number {
    return this.feeds().find((f) => f.id === id)?.sequence ?? 0;
  }

  publish(text: string): void {
    this.ssb(['publish', '--type', 'post', '--text', text]);
  }

  follow(other: LanPeer): void {
    this.ssb(['follow', other.id]);
  }
}

export class LanWorld {
  readonly peers = new Map<string, LanPeer>();
  private readonly dirs: string[] = [];
  private constructor(readonly lan: VirtualLan) {}

  static async create(): Promise<LanWorld> {
    return new LanWorld(await VirtualLan.create());
  }

  /** A device (auto-follow on) or a user's app (auto-follow off), on the LAN but not yet linked up. */
  async add(name: string, options: { autoFollow: boolean; linked?: boolean }): Promise<LanPeer> {
    await this.lan.addDevice(name);
    if (options.linked === false) await this.lan.cut(name);
    const dir = await tempDir(`sw-lan-${name}-`);
    this.dirs.push(dir);
    const args = [
      CLI,
      'start',
      '--sim',
      '--data',
      dir,
      '--web-port',
      '0',
      '--ssb-host',
      '0.0.0.0',
      '--ssb-port',
      '8008',
    ];
    if (!options.autoFollow) args.push('--no-auto-follow');
    const child = this.lan.spawn(name, [process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const peer = new LanPeer(name, dir, child);
    this.peers.set(name, peer);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}):\n${peer.logs.join('')}`);
      if (existsSync(peerSocketPathFor(dir))) {
        const who = cli(['ssb', 'whoami', '--json', '--data', dir]);
        if (who.code === 0) {
          peer.id = (JSON.parse(who.stdout) as { id: string }).id;
          return peer;
        }
      }
      if (Date.now() > deadline) throw new Error(`${name} did not start:\n${peer.logs.join('')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async meet(...names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.lan.restore(n)));
  }

  async leave(...names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.lan.cut(n)));
  }

  async destroy(): Promise<void> {
    for (const peer of this.peers.values()) {
      const pid = peer.child.pid;
      if (peer.child.exitCode === null && pid !== undefined) {
        const exited = new Promise((resolve) => peer.child.once('exit', resolve));
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => peer.child.exitCode === null && process.kill(pid, 'SIGKILL'), 8_000);
        await exited;
        clearTimeout(timer);
      }
    }
    await this.lan.destroy();
    for (const dir of this.dirs) await removeDir(dir);
  }
}

/** Polls `check` until it returns true; throws with `what` (and the last state) after `timeoutMs`. */
export async function eventually(
  what: string,
  timeoutMs: number,
  check: () => boolean,
  state?: () => unknown,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out after ${timeoutMs / 1000}s: ${what}${state ? `; state: ${JSON.stringify(state())}` : ''}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
