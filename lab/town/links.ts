// The town's network: one namespace per device, and one veth pair per contact that is up. A device has a
// stable "home" address (on its loopback interface, as a phone keeps one address per network) and, per link, an
// address in a /30 of that pair; while a link is up each side has a host route to the other's home address
// over it, and its default route points at its newest link (where a limited broadcast, 255.255.255.255,
// goes). Nothing is forwarded between links (forwarding stays off), so only devices in contact can talk.
// Every name carries this process's pid, so a later run can remove what a killed run left behind.
//
// A limited broadcast (255.255.255.255, where ssb-server's LAN beacons go) leaves by the default route: one
// link. On a real Wi-Fi LAN it reaches everyone in range, so each namespace copies it onto its other links
// too (an nftables `dup` rule per link), or a device in several contacts would be heard on its newest only.
import { type ChildProcess, execFile, type SpawnOptions, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { NamespaceChildren } from '../lan/namespace-children.js';

const run = promisify(execFile);
const IP = '/usr/sbin/ip';
const NFT = '/usr/sbin/nft';
const PREFIX = 'tw';

export interface TownDevice {
  name: string;
  ns: string;
  index: number;
  /** The home address, reachable from every device in contact. */
  address: string;
}

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

/** Home addresses: 10.250.0.0/16, one per device. */
export function homeAddress(index: number): string {
  if (index < 0 || index > 65_000) throw new Error(`device index out of range: ${index}`);
  return ipv4((((10 << 24) | (250 << 16)) >>> 0) + index + 1);
}

/** The /30 of the pair's `n`-th link: the lower index gets .1, the other .2 (10.128.0.0/9, 2M pairs). */
export function pairAddresses(n: number): { low: string; high: string } {
  const base = (((10 << 24) | (128 << 16)) >>> 0) + n * 4;
  return { low: ipv4(base + 1), high: ipv4(base + 2) };
}

async function ip(args: string[]): Promise<void> {
  await run(IP, args);
}

/** Runs several `ip` commands in one namespace with one process. */
function ipBatch(ns: string, lines: string[]): Promise<void> {
  return feedLines([IP, '-n', ns, '-batch', '-'], lines, `ip -n ${ns} -batch`);
}

/** Applies nftables commands in one namespace as one transaction. */
function nft(ns: string, lines: string[]): Promise<void> {
  return feedLines([IP, 'netns', 'exec', ns, NFT, '-f', '-'], lines, `nft in ${ns}`);
}

/** Runs a command that reads its commands from stdin; rejects with its stderr unless it exits 0. */
function feedLines(argv: [string, ...string[]], lines: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    // If the command dies first (the run is being torn down), the write fails: its exit code says so.
    child.stdin.on('error', () => undefined);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${stderr.trim()}`)),
    );
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces left by town runs whose process is gone (a run killed with SIGKILL cannot clean up). */
export async function removeStaleNamespaces(): Promise<string[]> {
  const { stdout } = await run(IP, ['netns', 'list']);
  const removed: string[] = [];
  for (const line of stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const match = new RegExp(`^${PREFIX}(\\d+)[a-z]-`).exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    await ip(['netns', 'del', name]).catch(() => undefined);
    removed.push(name);
  }
  return removed;
}

export class TownNet {
  private readonly devices = new Map<string, TownDevice>();
  private readonly namespaces: string[] = [];
  private readonly processes = new NamespaceChildren();
  /** Pair index (for its /30), fixed the first time the pair meets. */
  private readonly pairs = new Map<string, number>();
  /** Each device's links that are up, newest last (the default route follows the newest). */
  private readonly up = new Map<string, string[]>();
  /** Each device's broadcast-copy updates, in order. */
  private readonly broadcastQueue = new Map<string, Promise<void>>();

  constructor(private readonly tag: string) {}

  async addDevice(name: string): Promise<TownDevice> {
    if (this.devices.has(name)) throw new Error(`device ${name} exists`);
    const index = this.devices.size;
    const ns = `${PREFIX}${process.pid}${this.tag}-${index}`;
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    const address = homeAddress(index);
    // On the loopback interface: routed to from the links, never announced as a network of its own.
    await ipBatch(ns, ['link set lo up', `addr add ${address}/32 dev lo`]);
    // Replies to a home address come in on a link whose subnet does not hold it: no reverse-path filter.
    await run(IP, [
      'netns',
      'exec',
      ns,
      '/usr/sbin/sysctl',
      '-q',
      '-w',
      'net.ipv4.conf.all.rp_filter=0',
      'net.ipv4.conf.default.rp_filter=0',
    ]);
    await nft(ns, ['add table ip town', 'add chain ip town out { type filter hook output priority 0; }']);
    const device = { name, ns, index, address };
    this.devices.set(name, device);
    this.up.set(name, []);
    return device;
  }

  device(name: string): TownDevice {
    const device = this.devices.get(name);
    if (!device) throw new Error(`no device ${name}`);
    return device;
  }

  private ifname(to: TownDevice): string {
    return `p${to.index}`;
  }

  async linkUp(a: string, b: string): Promise<void> {
    const [low, high] = [this.device(a), this.device(b)].sort((x, y) => x.index - y.index) as [TownDevice, TownDevice];
    const key = `${low.index}-${high.index}`;
    let n = this.pairs.get(key);
    if (n === undefined) {
      n = this.pairs.size;
      this.pairs.set(key, n);
    }
    const addresses = pairAddresses(n);
    await ip([
      'link',
      'add',
      this.ifname(high),
      'netns',
      low.ns,
      'type',
      'veth',
      'peer',
      'name',
      this.ifname(low),
      'netns',
      high.ns,
    ]);
    const side = (self: TownDevice, other: TownDevice, address: string) => {
      const dev = this.ifname(other);
      this.up.get(self.name)?.push(dev);
      return ipBatch(self.ns, [
        `addr add ${address}/30 dev ${dev}`,
        `link set ${dev} up`,
        `route add ${other.address}/32 dev ${dev}`,
        `route replace default dev ${dev}`,
      ]);
    };
    await Promise.all([side(low, high, addresses.low), side(high, low, addresses.high)]);
    await Promise.all([this.copyBroadcasts(low), this.copyBroadcasts(high)]);
  }

  /** Limited broadcasts copied onto every link but the default route's (see the top of the file). */
  private copyBroadcasts(self: TownDevice): Promise<void> {
    const previous = this.broadcastQueue.get(self.name) ?? Promise.resolve();
    const next = previous.then(() => {
      // Read when this update runs, so the last update applies the latest set of links.
      const links = this.up.get(self.name) ?? [];
      const others = links.slice(0, -1);
      return nft(self.ns, [
        'flush chain ip town out',
        ...others.map((dev) => `add rule ip town out ip daddr 255.255.255.255 dup to 255.255.255.255 device "${dev}"`),
      ]).catch(() => undefined);
    });
    this.broadcastQueue.set(self.name, next);
    return next;
  }

  async linkDown(a: string, b: string): Promise<void> {
    const da = this.device(a);
    const db = this.device(b);
    await ip(['-n', da.ns, 'link', 'del', this.ifname(db)]);
    await Promise.all([this.forget(da, this.ifname(db)), this.forget(db, this.ifname(da))]);
    await Promise.all([this.copyBroadcasts(da), this.copyBroadcasts(db)]);
  }

  private async forget(self: TownDevice, dev: string): Promise<void> {
    const links = this.up.get(self.name) ?? [];
    const wasDefault = links[links.length - 1] === dev;
    links.splice(links.indexOf(dev), 1);
    const newest = links[links.length - 1];
    // A link being cut at the same moment may take `newest` away first: then its own cut picks another.
    if (wasDefault && newest)
      await ip(['-n', self.ns, 'route', 'replace', 'default', 'dev', newest]).catch(() => undefined);
  }

  /** Starts a process inside a device's namespace; killed (by pid) by destroy() if still running. */
  spawn(name: string, argv: string[], options: SpawnOptions = {}, launcher: string[] = []): ChildProcess {
    return this.processes.spawn(this.device(name).ns, argv, options, launcher);
  }

  /** Cuts every link still up (the devices keep running). */
  async allDown(): Promise<void> {
    for (const device of this.devices.values()) {
      for (const dev of [...(this.up.get(device.name) ?? [])]) {
        await ip(['-n', device.ns, 'link', 'del', dev]).catch(() => undefined);
      }
      this.up.set(device.name, []);
    }
  }

  async destroy(): Promise<void> {
    await this.processes.killAll();
    for (const ns of this.namespaces.reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
    this.namespaces.length = 0;
  }

  /** Synchronous last resort (process exit): deletes the namespaces without waiting on anything. */
  destroySync(spawnSync: (cmd: string, args: string[]) => unknown): void {
    this.processes.killAllSync();
    for (const ns of this.namespaces.reverse()) spawnSync(IP, ['netns', 'del', ns]);
    this.namespaces.length = 0;
  }
}
