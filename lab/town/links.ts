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
//
// Link changes are lines written to long-lived interpreters (command-shell.ts): `ip -batch` in the lab's own
// namespace (for the veth pairs) and `ip -batch` and `nft -i` in each device's, so a change forks nothing.
import { type ChildProcess, execFile, type SpawnOptions } from 'node:child_process';
import { setPriority } from 'node:os';
import { promisify } from 'node:util';
import { isAlive } from '../../bench/ssb/procs.js';
import { NamespaceChildren } from '../lan/namespace-children.js';
import { CommandShell, ipDialect, nftDialect } from './command-shell.js';

const run = promisify(execFile);
const IP = '/usr/sbin/ip';
const PREFIX = 'tw';

/** A device's two interpreters: `ip -batch` and `nft -i`, both inside its namespace. */
interface Shells {
  ip: CommandShell;
  nft: CommandShell;
}

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
  /** The lab's own namespace, where veth pairs are made. */
  private readonly root = new CommandShell(ipDialect(null), 'ip -batch');
  private readonly shells = new Map<string, Shells>();
  /** The interfaces of each pair's link while it is up, by pair key. */
  private readonly links = new Map<string, { low: TownDevice; inLow: string; inHigh: string }>();
  private linksMade = 0;

  constructor(private readonly tag: string) {}

  async addDevice(name: string): Promise<TownDevice> {
    if (this.devices.has(name)) throw new Error(`device ${name} exists`);
    const index = this.devices.size;
    const ns = `${PREFIX}${process.pid}${this.tag}-${index}`;
    await ip(['netns', 'add', ns]);
    this.namespaces.push(ns);
    const shells = {
      ip: new CommandShell(ipDialect(ns), `ip -n ${ns} -batch`),
      nft: new CommandShell(nftDialect(ns), `nft in ${ns}`),
    };
    this.shells.set(name, shells);
    const address = homeAddress(index);
    // On the loopback interface: routed to from the links, never announced as a network of its own.
    await shells.ip.run(['link set lo up', `addr add ${address}/32 dev lo`]);
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
    await shells.nft.run(['add table ip town', 'add chain ip town out { type filter hook output priority 0; }']);
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

  private shellsOf(device: TownDevice): Shells {
    const shells = this.shells.get(device.name);
    if (!shells) throw new Error(`no device ${device.name}`);
    return shells;
  }

  /**
   * The interface names of a link, one per side: `p<other device's index>x<link number>`, new for every link.
   * `ip -batch` remembers a name's interface index for as long as it runs, so a name used again for a
   * re-created link would point at the deleted one ("Device not found").
   */
  private linkNames(low: TownDevice, high: TownDevice): { inLow: string; inHigh: string } {
    const n = this.linksMade++;
    return { inLow: `p${high.index}x${n}`, inHigh: `p${low.index}x${n}` };
  }

  private pair(a: string, b: string): { low: TownDevice; high: TownDevice; key: string } {
    const [low, high] = [this.device(a), this.device(b)].sort((x, y) => x.index - y.index) as [TownDevice, TownDevice];
    return { low, high, key: `${low.index}-${high.index}` };
  }

  async linkUp(a: string, b: string): Promise<void> {
    const { low, high, key } = this.pair(a, b);
    if (this.links.has(key)) throw new Error(`the link between ${a} and ${b} is already up`);
    let n = this.pairs.get(key);
    if (n === undefined) {
      n = this.pairs.size;
      this.pairs.set(key, n);
    }
    const addresses = pairAddresses(n);
    const names = this.linkNames(low, high);
    await this.root.run([
      `link add ${names.inLow} netns ${low.ns} type veth peer name ${names.inHigh} netns ${high.ns}`,
    ]);
    this.links.set(key, { low, ...names });
    const side = (self: TownDevice, other: TownDevice, dev: string, address: string) => {
      this.up.get(self.name)?.push(dev);
      return this.shellsOf(self).ip.run([
        `addr add ${address}/30 dev ${dev}`,
        `link set ${dev} up`,
        `route add ${other.address}/32 dev ${dev}`,
        `route replace default dev ${dev}`,
      ]);
    };
    await Promise.all([side(low, high, names.inLow, addresses.low), side(high, low, names.inHigh, addresses.high)]);
    await Promise.all([this.copyBroadcasts(low), this.copyBroadcasts(high)]);
  }

  /**
   * Limited broadcasts copied onto every link but the default route's (see the top of the file), in one
   * transaction. The links are read when the update is written: the interpreter applies updates in order, so
   * the last one written holds the latest set.
   */
  private copyBroadcasts(self: TownDevice): Promise<void> {
    const others = (this.up.get(self.name) ?? []).slice(0, -1);
    const rules = others.map(
      (dev) => `add rule ip town out ip daddr 255.255.255.255 dup to 255.255.255.255 device "${dev}"`,
    );
    // A link cut at this moment makes its rule fail (the whole line with it); its own cut writes the next update.
    return this.shellsOf(self)
      .nft.run([['flush chain ip town out', ...rules].join('; ')])
      .catch(() => undefined);
  }

  async linkDown(a: string, b: string): Promise<void> {
    const { low, high, key } = this.pair(a, b);
    const names = this.links.get(key);
    if (!names) throw new Error(`no link between ${a} and ${b}`);
    this.links.delete(key);
    // Forgotten first, so that no update written meanwhile names a link being deleted.
    const newDefaultLow = this.forget(low, names.inLow);
    const newDefaultHigh = this.forget(high, names.inHigh);
    const defaultRoute = (dev: string | null) => (dev === null ? [] : [`route replace default dev ${dev}`]);
    await Promise.all([
      this.shellsOf(low).ip.run([...defaultRoute(newDefaultLow), `link del ${names.inLow}`]),
      newDefaultHigh === null ? undefined : this.shellsOf(high).ip.run(defaultRoute(newDefaultHigh)),
    ]);
    await Promise.all([this.copyBroadcasts(low), this.copyBroadcasts(high)]);
  }

  /** Drops a link from the device's list; the link the default route should move to, if it was on this one. */
  private forget(self: TownDevice, dev: string): string | null {
    const links = this.up.get(self.name) ?? [];
    const wasDefault = links[links.length - 1] === dev;
    const at = links.indexOf(dev);
    if (at >= 0) links.splice(at, 1);
    return wasDefault ? (links[links.length - 1] ?? null) : null;
  }

  private allShells(): CommandShell[] {
    return [this.root, ...[...this.shells.values()].flatMap((s) => [s.ip, s.nft])];
  }

  /** Sets the nice level of the link interpreters (the lab raises them while it replays). */
  setPriority(priority: number): void {
    for (const shell of this.allShells()) {
      if (shell.pid !== undefined) setPriority(shell.pid, priority);
    }
  }

  /** Starts a process inside a device's namespace; killed (by pid) by destroy() if still running. */
  spawn(name: string, argv: string[], options: SpawnOptions = {}, launcher: string[] = []): ChildProcess {
    return this.processes.spawn(this.device(name).ns, argv, options, launcher);
  }

  /** Cuts every link still up (the devices keep running). */
  async allDown(): Promise<void> {
    const links = [...this.links.values()];
    this.links.clear();
    for (const device of this.devices.values()) this.up.set(device.name, []);
    await Promise.all(
      // Deleting one end deletes the pair.
      links.map(({ low, inLow }) =>
        this.shellsOf(low)
          .ip.run([`link del ${inLow}`])
          .catch(() => undefined),
      ),
    );
  }

  async destroy(): Promise<void> {
    await this.processes.killAll();
    await Promise.all(this.allShells().map((s) => s.close()));
    for (const ns of this.namespaces.reverse()) await ip(['netns', 'del', ns]).catch(() => undefined);
    this.namespaces.length = 0;
  }

  /** Synchronous last resort (process exit): deletes the namespaces without waiting on anything. */
  destroySync(spawnSync: (cmd: string, args: string[]) => unknown): void {
    this.processes.killAllSync();
    for (const shell of this.allShells()) {
      if (shell.pid === undefined) continue;
      try {
        process.kill(shell.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    for (const ns of this.namespaces.reverse()) spawnSync(IP, ['netns', 'del', ns]);
    this.namespaces.length = 0;
  }
}
