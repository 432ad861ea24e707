// A virtual LAN of network namespaces: one namespace holds a Linux bridge (the "Wi-Fi network"), and each
// device gets its own namespace joined to it by a veth pair. Setting a device's bridge-side veth down or up
// models a person walking away or coming back. Everything is created under names unique to this process
// and removed by `destroy()`; nothing reaches any network but these namespaces.
import { type ChildProcess, execFile, type SpawnOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { NamespaceChildren } from './namespace-children.js';

const run = promisify(execFile);
const IP = '/usr/sbin/ip';

export interface LanDevice {
  name: string;
  /** The namespace the device's processes run in. */
  ns: string;
  address: string;
  /** The veth end inside the bridge namespace; down = the device has left. */
  bridgePort: string;
}

let lanCounter = 0;

export class VirtualLan {
  private readonly devices = new Map<string, LanDevice>();
  private readonly namespaces: string[] = [];
  private readonly processes = new NamespaceChildren();
  private nextHost = 10;

  private constructor(
    readonly id: string,
    readonly bridgeNs: string,
    readonly subnet: string,
  ) {}

  /** Creates the bridge namespace. `subnet` is the first three octets of a /24 private to these namespaces. */
  static async create(subnet = '10.77.0'): Promise<VirtualLan> {
    const id = `sw${process.pid % 100000}${String.fromCharCode(97 + (lanCounter++ % 26))}`;
    const lan = new VirtualLan(id, `${id}-br`, subnet);
    await run(IP, ['netns', 'add', lan.bridgeNs]);
    lan.namespaces.push(lan.bridgeNs);
    await lan.inNs(lan.bridgeNs, [IP, 'link', 'add', 'br0', 'type', 'bridge']);
    await lan.inNs(lan.bridgeNs, [IP, 'link', 'set', 'br0', 'up']);
    await lan.inNs(lan.bridgeNs, [IP, 'link', 'set', 'lo', 'up']);
    return lan;
  }

  /** Adds a device namespace on the LAN, linked and up. */
  async addDevice(name: string): Promise<LanDevice> {
    if (!/^[a-z0-9]{1,6}$/.test(name)) throw new Error(`device names are 1-6 lowercase letters or digits: ${name}`);
    if (this.devices.has(name)) throw new Error(`device ${name} exists`);
    const ns = `${this.id}-${name}`;
    const host = this.nextHost++;
    const address = `${this.subnet}.${host}`;
    // Interface names are limited to 15 characters.
    const inside = `e${this.id.slice(2)}${host}`.slice(0, 15);
    const bridgePort = `b${this.id.slice(2)}${host}`.slice(0, 15);
    await run(IP, ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await run(IP, [
      'link',
      'add',
      inside,
      'netns',
      ns,
      'type',
      'veth',
      'peer',
      'name',
      bridgePort,
      'netns',
      this.bridgeNs,
    ]);
    await this.inNs(this.bridgeNs, [IP, 'link', 'set', bridgePort, 'master', 'br0']);
    await this.inNs(this.bridgeNs, [IP, 'link', 'set', bridgePort, 'up']);
    await this.inNs(ns, [IP, 'link', 'set', 'lo', 'up']);
    await this.inNs(ns, [IP, 'link', 'set', inside, 'name', 'eth0']);
    await this.inNs(ns, [IP, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
    await this.inNs(ns, [IP, 'link', 'set', 'eth0', 'up']);
    // Limited broadcast (255.255.255.255, what LAN beacons use) needs a route; this one leads only to the bridge.
    await this.inNs(ns, [IP, 'route', 'add', 'default', 'dev', 'eth0']);
    const device = { name, ns, address, bridgePort };
    this.devices.set(name, device);
    return device;
  }

  device(name: string): LanDevice {
    const device = this.devices.get(name);
    if (!device) throw new Error(`no device ${name}`);
    return device;
  }

  /** The device leaves the network: its link goes down (its processes keep running). */
  async cut(name: string): Promise<void> {
    await this.inNs(this.bridgeNs, [IP, 'link', 'set', this.device(name).bridgePort, 'down']);
  }

  /** The device comes back. */
  async restore(name: string): Promise<void> {
    await this.inNs(this.bridgeNs, [IP, 'link', 'set', this.device(name).bridgePort, 'up']);
  }

  /** Shapes the device's link (e.g. "20mbit") with a token bucket on its bridge port; null removes it. */
  async shape(name: string, rate: string | null): Promise<void> {
    const port = this.device(name).bridgePort;
    await this.inNs(this.bridgeNs, ['/usr/sbin/tc', 'qdisc', 'del', 'dev', port, 'root']).catch(() => undefined);
    if (rate !== null) {
      await this.inNs(this.bridgeNs, [
        '/usr/sbin/tc',
        'qdisc',
        'add',
        'dev',
        port,
        'root',
        'tbf',
        'rate',
        rate,
        'burst',
        '32kbit',
        'latency',
        '50ms',
      ]);
    }
  }

  /** Starts a process inside a device's namespace (see NamespaceChildren.spawn); killed (by pid) on destroy(). */
  spawn(name: string, argv: string[], options: SpawnOptions = {}, launcher: string[] = []): ChildProcess {
    return this.processes.spawn(this.device(name).ns, argv, options, launcher);
  }

  async exec(name: string, argv: string[]): Promise<{ stdout: string; stderr: string }> {
    return this.inNs(this.device(name).ns, argv);
  }

  async destroy(): Promise<void> {
    await this.processes.killAll();
    for (const ns of this.namespaces.reverse()) await run(IP, ['netns', 'del', ns]).catch(() => undefined);
    this.namespaces.length = 0;
  }

  private inNs(ns: string, argv: string[]): Promise<{ stdout: string; stderr: string }> {
    return run(IP, ['netns', 'exec', ns, ...argv]);
  }
}
