#!/usr/bin/env node
// The `smallworld` command. Every subcommand except `start` and `peer` is a thin client of the daemon's
// control socket, so it works the same against the simulator and a real device. Each command imports only
// what it runs: the daemon does not load the web server or the SSB libraries, the peer not the daemon's
// radios, and a client command neither (cold start, issue 17).
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig, resolveDataDir } from '../config/config.js';
import { ControlClient, RemoteError, SocketUnreachableError, socketPathFor } from '../control/client.js';
import type { Command, ControlReplies, Request } from '../control/protocol.js';
import type { FullStatus } from '../device/status.js';
import { createLogger, parseLevel } from '../log/logger.js';
import { forkPeer, wantsPeer } from '../peer/fork-peer.js';
import { peerSocketPathFor } from '../peer/paths.js';
import type { PeerSsbSettings } from '../peer/peer-process.js';
import type { PublishedMessage } from '../ssb/peer-api.js';
import { PeerClient } from '../ssb/peer-client.js';
import type { PeerProtocol } from '../ssb/protocol.js';

const USAGE = `Usage: smallworld <command> [options]

Device:
  start [--sim] [--data DIR] [--config FILE] [--web-host HOST] [--web-port N]
        [--ssb-host HOST] [--ssb-port N] [--no-auto-follow]
                          run the device in the foreground (--web-port 0: no web page;
                          --ssb-port 0: no SSB peer)
  status [--json]         mode, WPS search, LEDs, associations, web page address
  press ap|wps            exactly what the physical button does
  ap on|off               switch the access point explicitly
  wps start|cancel        start or cancel a WPS push-button search
  wps auto-role on|off    pairing with one press: in client mode, look for the other device's access point
                          first and host if none (default on; kept across restarts)
  keys one-time on|off    forget a WPS-issued key after its device's first connection (default on)
  keys revoke MAC         forget a trusted device's WPS key

Wi-Fi settings:
  wifi [show] [--json]    this device's network (SSID, passphrase, QR payload) and the known networks
  wifi show --qr          the network's name, passphrase and a QR code for a phone's camera, in the terminal
  wifi ap [--ssid NAME] [--passphrase P | --passphrase-stdin]
                          change this device's network (connected devices will need the new one)
  wifi add SSID (--passphrase P | --passphrase-stdin)
                          add a known network to join in client mode (or change its passphrase)
  wifi remove SSID        forget a known network
  wifi order SSID...      set the preference order of the known networks

SSB peer (through DATA/peer.sock; every command takes --json):
  ssb whoami | status | feeds | peers
  ssb publish --type T [--text TEXT] [--photo FILE]
                          publish a message; with --photo the image is added as a blob and linked
  ssb follow ID | unfollow ID | block ID | unblock ID
  ssb blob add FILE       add a file as a blob; prints its id
  ssb blob get ID [--out FILE]
                          fetch a blob (asking connected peers) to FILE or stdout
  ssb connect ADDRESS     dial a peer (net:HOST:PORT~shs:KEY)

Simulator (with start --sim):
  sim state                        the simulated radios
  sim other-wps [--mac MAC]        another device presses its WPS button
  sim phone join|leave MAC         a phone joins or leaves our access point by passphrase
  sim network SSID BSSID [--known] [--out-of-range]
                                   a network appears near the device (or goes away)

Installing on a Raspberry Pi (see docs/INSTALL.md):
  install [--root DIR] [--dry-run]   configure the system: services, Wi-Fi daemons, USB gadget, GPIO overlays
  uninstall [--root DIR]             restore every file install changed, byte for byte

Every command takes --data DIR (default: $SMALLWORLD_DATA, then /var/lib/smallworld).
`;

const EXIT = { ok: 0, failed: 1, usage: 2, noDaemon: 3 } as const;

class UsageError extends Error {}

const common = {
  data: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command !== 'install' && command !== 'uninstall' && asksForHelp(rest)) {
    process.stdout.write(usageOf(command));
    return EXIT.ok;
  }
  switch (command) {
    case 'start':
      return start(rest);
    case 'peer':
      return peer(rest);
    case 'status':
      return status(rest);
    case 'press':
      return oneWord(rest, ['ap', 'wps'], (button) => ({ cmd: 'press', button }));
    case 'ap':
      return oneWord(rest, ['on', 'off'], (word) => ({ cmd: 'ap', on: word === 'on' }));
    case 'wps':
      return wpsCommand(rest);
    case 'keys':
      return keys(rest);
    case 'install':
      return (await import('../install/cli.js')).runInstallCommand(rest);
    case 'uninstall':
      return (await import('../install/cli.js')).runUninstallCommand(rest);
    case 'wifi':
      return wifi(rest);
    case 'ssb':
      return ssbCommand(rest);
    case 'sim':
      return sim(rest);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** `--help` or `-h` as a flag (not after `--`): a value that starts with a dash must be given as --flag=VALUE. */
function asksForHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The part of the usage about one command (its lines and their continuations), or all of it. */
function usageOf(command: string): string {
  const lines = USAGE.split('\n');
  const picked: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (line.startsWith(`  ${command} `) || line === `  ${command}`) inside = true;
    else if (!/^ {6,}\S/.test(line)) inside = false;
    if (inside) picked.push(line);
  }
  if (picked.length === 0) return USAGE;
  return `Usage: smallworld ${command} …\n\n${picked.join('\n')}\n\nEvery command takes --data DIR (default: $SMALLWORLD_DATA, then /var/lib/smallworld).\n`;
}

const peerFlags = {
  config: { type: 'string' },
  'web-host': { type: 'string' },
  'web-port': { type: 'string' },
  'ssb-host': { type: 'string' },
  'ssb-port': { type: 'string' },
  'no-auto-follow': { type: 'boolean', default: false },
} as const;

interface PeerFlagValues {
  'web-host'?: string | undefined;
  'web-port'?: string | undefined;
  'ssb-host'?: string | undefined;
  'ssb-port'?: string | undefined;
  'no-auto-follow'?: boolean | undefined;
}

/** The web and SSB settings: the config file's, with command-line flags winning. */
function peerSettings(
  config: Config,
  values: PeerFlagValues,
): { web: { host: string; port: number }; ssb: PeerSsbSettings } {
  return {
    web: {
      host: values['web-host'] ?? config.web.host,
      port: values['web-port'] === undefined ? config.web.port : parsePort(values['web-port'], '--web-port'),
    },
    ssb: {
      host: values['ssb-host'] ?? config.ssb.host,
      port: values['ssb-port'] === undefined ? config.ssb.port : parsePort(values['ssb-port'], '--ssb-port'),
      hops: config.ssb.hops,
      autoFollow: { ...config.ssb.autoFollow, enabled: config.ssb.autoFollow.enabled && !values['no-auto-follow'] },
      reserveBytes: config.storage.reserveBytes,
    },
  };
}

async function start(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      ...common,
      ...peerFlags,
      sim: { type: 'boolean', default: false },
      'log-level': { type: 'string' },
    },
    strict: true,
  });
  const config = await loadConfig(values.config);
  const settings = peerSettings(config, values);
  const logger = createLogger({
    level: parseLevel(values['log-level'] ?? process.env.SMALLWORLD_LOG_LEVEL, config.logLevel),
    base: { proc: 'daemon' },
  });
  const dataDir = resolveDataDir(values.data);
  const peerOptions = { dataDir, ...settings, configPath: values.config, logLevel: values['log-level'] };
  // The peer starts loading its libraries on the other core while the daemon's own code loads (cold start);
  // not beside a daemon that already answers for this data: that one has its peer, and this one stops at
  // the socket.
  const forkedPeer =
    wantsPeer(settings) && !(await daemonAnswers(socketPathFor(dataDir))) ? forkPeer(peerOptions) : undefined;
  const { Daemon } = await import('../device/daemon.js');
  const daemon = new Daemon({ ...peerOptions, sim: values.sim, config, logger, forkedPeer });
  try {
    await daemon.start();
  } catch (error) {
    forkedPeer?.child.kill('SIGTERM');
    throw error;
  }
  await waitForSignal(logger, () => daemon.stop());
  return EXIT.ok;
}

/** Whether a daemon already answers on this socket. */
async function daemonAnswers(socketPath: string): Promise<boolean> {
  try {
    (await ControlClient.connect(socketPath, 500)).close();
    return true;
  } catch {
    return false;
  }
}

async function peer(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...common, ...peerFlags, 'log-level': { type: 'string' } },
    strict: true,
  });
  const config = await loadConfig(values.config);
  const logger = createLogger({
    level: parseLevel(values['log-level'] ?? process.env.SMALLWORLD_LOG_LEVEL, config.logLevel),
    base: { proc: 'peer' },
  });
  const { runPeer } = await import('../peer/peer-process.js');
  const stop = await runPeer({ dataDir: resolveDataDir(values.data), ...peerSettings(config, values), logger });
  // Started by `smallworld start`: go when the parent goes, even if it was killed outright — and go even if
  // closing the SSB database hangs, so that no orphan keeps ports and pipes open.
  process.on('disconnect', () => {
    setTimeout(() => process.exit(0), 5_000).unref();
    void stop().finally(() => process.exit(0));
  });
  await waitForSignal(logger, stop);
  // Stopped: the IPC channel to `smallworld start` must not keep the process alive (it did, for the 5 s
  // until the daemon's SIGKILL).
  process.channel?.unref();
  return EXIT.ok;
}

function waitForSignal(logger: ReturnType<typeof createLogger>, stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.log('info', 'stopping', { signal });
      // A clean stop is bounded: past this, exit anyway rather than linger half-stopped.
      setTimeout(() => process.exit(0), 10_000).unref();
      void stop().finally(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}

function parsePort(text: string, flag: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`${flag} must be 0..65535, not "${text}"`);
  return port;
}

/** One request to the daemon; the reply is the request's command's type (control/protocol.ts). */
async function request<Q extends Request>(dataDir: string | undefined, body: Q): Promise<ControlReplies[Q['cmd']]> {
  const client = await ControlClient.connect(socketPathFor(resolveDataDir(dataDir)));
  try {
    return await client.send(body);
  } finally {
    client.close();
  }
}

/** The commands the daemon answers with its status. */
type StatusCommand = { [C in Command]: ControlReplies[C] extends FullStatus ? C : never }[Command];
type StatusRequest = Extract<Request, { cmd: StatusCommand }>;
type WifiRequest = Extract<Request, { cmd: `wifi.${string}` }>;
type SimRequest = Extract<Request, { cmd: `sim.${string}` }>;

async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: common, strict: true });
  const result = await request(values.data, { cmd: 'status' });
  print(result, values.json);
  return EXIT.ok;
}

async function oneWord<W extends string>(
  args: string[],
  words: readonly W[],
  build: (word: W) => StatusRequest,
): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: common, strict: true, allowPositionals: true });
  const [word, extra] = positionals;
  if (word === undefined || extra !== undefined || !(words as readonly string[]).includes(word)) {
    throw new UsageError(`expected one of: ${words.join(', ')}`);
  }
  const result = await request(values.data, build(word as W));
  print(result, values.json);
  return EXIT.ok;
}

async function wpsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: common, strict: true, allowPositionals: true });
  const [sub, arg, ...extra] = positionals;
  let body: StatusRequest;
  if ((sub === 'start' || sub === 'cancel') && arg === undefined) body = { cmd: 'wps', action: sub };
  else if (sub === 'auto-role' && (arg === 'on' || arg === 'off') && extra.length === 0)
    body = { cmd: 'wps.auto-role', enabled: arg === 'on' };
  else throw new UsageError('expected "wps start", "wps cancel" or "wps auto-role on|off"');
  print(await request(values.data, body), values.json);
  return EXIT.ok;
}

async function keys(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: common, strict: true, allowPositionals: true });
  const [sub, arg] = positionals;
  let body: StatusRequest;
  if (sub === 'one-time' && (arg === 'on' || arg === 'off')) body = { cmd: 'keys.one-time', enabled: arg === 'on' };
  else if (sub === 'revoke' && arg !== undefined) body = { cmd: 'keys.revoke', mac: arg };
  else throw new UsageError('expected "keys one-time on|off" or "keys revoke MAC"');
  print(await request(values.data, body), values.json);
  return EXIT.ok;
}

type PhotoRequest = Extract<PeerProtocol['request'], { cmd: 'ssb.photo' }>;

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** One request to the SSB peer's own socket; the reply is the command's type (ssb/protocol.ts). */
async function callPeer<Q extends PeerProtocol['request']>(
  dataDir: string | undefined,
  body: Q,
): Promise<PeerProtocol['replies'][Q['cmd']]> {
  const client = await PeerClient.connect(peerSocketPathFor(resolveDataDir(dataDir)));
  try {
    return await client.send(body, 60_000);
  } finally {
    client.close();
  }
}

async function ssbCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...common,
      type: { type: 'string' },
      text: { type: 'string' },
      photo: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub, a, b] = positionals;
  const data = values.data;
  const show = (result: unknown, human: () => string) =>
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${human()}\n`);
  switch (sub) {
    case 'whoami': {
      const result = await callPeer(data, { cmd: 'ssb.whoami' });
      show({ id: result.id }, () => result.id);
      return EXIT.ok;
    }
    case 'status': {
      const result = await callPeer(data, { cmd: 'ssb.status' });
      show(result, () => JSON.stringify(result, null, 2));
      return EXIT.ok;
    }
    case 'feeds': {
      const result = await callPeer(data, { cmd: 'ssb.feeds' });
      show(result, () => result.map((f) => `${f.id} ${f.sequence}`).join('\n') || 'no feeds');
      return EXIT.ok;
    }
    case 'peers': {
      const result = await callPeer(data, { cmd: 'ssb.peers' });
      show(
        result,
        () => result.map((p) => `${p.state.padEnd(12)} ${p.key ?? '?'} ${p.address}`).join('\n') || 'no peers',
      );
      return EXIT.ok;
    }
    case 'publish': {
      if (!values.type) throw new UsageError('ssb publish needs --type TYPE');
      let result: PublishedMessage;
      if (values.photo !== undefined) {
        if (values.type !== 'post') throw new UsageError('a photo is published as a post: use --type post');
        const bytes = await readFile(values.photo);
        const photo: PhotoRequest = { cmd: 'ssb.photo', data: bytes.toString('base64'), name: basename(values.photo) };
        const mime = IMAGE_TYPES[extname(values.photo).toLowerCase()];
        if (mime) photo.mime = mime;
        if (values.text !== undefined) photo.text = values.text;
        result = await callPeer(data, photo);
      } else {
        const content: { type: string; text?: string } = { type: values.type };
        if (values.text !== undefined) content.text = values.text;
        result = await callPeer(data, { cmd: 'ssb.publish', content });
      }
      show(result, () => result.key);
      return EXIT.ok;
    }
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock': {
      if (a === undefined || b !== undefined) throw new UsageError(`ssb ${sub} takes one feed id`);
      const result = await callPeer(data, { cmd: `ssb.${sub}`, feed: a });
      show(result, () => `${sub}: ${a}`);
      return EXIT.ok;
    }
    case 'connect': {
      if (a === undefined) throw new UsageError('ssb connect takes an address');
      const result = await callPeer(data, { cmd: 'ssb.connect', address: a });
      show(result, () => `connected to ${result.id}`);
      return EXIT.ok;
    }
    case 'blob': {
      if (a === 'add' && b !== undefined) {
        const bytes = await readFile(b);
        const result = await callPeer(data, { cmd: 'ssb.blob.add', data: bytes.toString('base64') });
        show(result, () => result.id);
        return EXIT.ok;
      }
      if (a === 'get' && b !== undefined) {
        const result = await callPeer(data, { cmd: 'ssb.blob.get', blob: b });
        const bytes = Buffer.from(result.data, 'base64');
        if (values.out !== undefined) {
          await writeFile(values.out, bytes);
          show(
            { id: result.id, size: result.size, out: values.out },
            () => `${result.size} bytes written to ${values.out}`,
          );
        } else if (values.json) show(result, () => '');
        else process.stdout.write(bytes);
        return EXIT.ok;
      }
      throw new UsageError('expected "ssb blob add FILE" or "ssb blob get ID [--out FILE]"');
    }
    default:
      throw new UsageError(
        'expected an ssb command: whoami, status, publish, follow, unfollow, block, unblock, feeds, peers, blob, connect',
      );
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function wifi(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...common,
      ssid: { type: 'string' },
      passphrase: { type: 'string' },
      'passphrase-stdin': { type: 'boolean', default: false },
      qr: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub = 'show', ...names] = positionals;
  if (values.qr && sub !== 'show') throw new UsageError('--qr goes with "wifi show"');
  // Passphrases on the command line show up in `ps`; --passphrase-stdin keeps them out of it.
  const passphrase = values['passphrase-stdin'] ? await readStdin() : values.passphrase;
  let body: WifiRequest;
  if (sub === 'show' && names.length === 0) body = { cmd: 'wifi.get' };
  else if (sub === 'ap' && names.length === 0) {
    body = { cmd: 'wifi.ap.set' };
    if (values.ssid !== undefined) body.ssid = values.ssid;
    if (passphrase !== undefined) body.passphrase = passphrase;
  } else if (sub === 'add' && names.length === 1 && passphrase !== undefined) {
    body = { cmd: 'wifi.networks.add', ssid: names[0] as string, passphrase };
  } else if (sub === 'remove' && names.length === 1) body = { cmd: 'wifi.networks.remove', ssid: names[0] as string };
  else if (sub === 'order' && names.length > 0) body = { cmd: 'wifi.networks.order', ssids: names };
  else
    throw new UsageError(
      'expected "wifi show", "wifi ap --ssid/--passphrase", "wifi add SSID --passphrase P", "wifi remove SSID" or "wifi order SSID..."',
    );
  const result = await request(values.data, body);
  if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else if (values.qr) {
    const { onboardingLines } = await import('../install/onboarding.js');
    process.stdout.write(`${(await onboardingLines(result.ap, result.addresses.ap)).slice(1).join('\n')}\n`);
  } else {
    const known = result.knownNetworks.map((n, i) => `  ${i + 1}. ${n.ssid}`);
    process.stdout.write(
      [
        `network:    ${result.ap.ssid}`,
        `passphrase: ${result.ap.passphrase}`,
        `known networks:${known.length ? `\n${known.join('\n')}` : ' none'}`,
        '',
      ].join('\n'),
    );
    if (sub === 'ap')
      process.stderr.write('Devices connected to this network will need the new settings to join again.\n');
  }
  return EXIT.ok;
}

async function sim(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...common,
      mac: { type: 'string' },
      known: { type: 'boolean', default: false },
      'out-of-range': { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub, a, b] = positionals;
  let body: SimRequest;
  if (sub === 'state') body = { cmd: 'sim.state' };
  else if (sub === 'other-wps')
    body = values.mac ? { cmd: 'sim.other-wps', mac: values.mac } : { cmd: 'sim.other-wps' };
  else if (sub === 'phone' && (a === 'join' || a === 'leave') && b !== undefined)
    body = { cmd: 'sim.phone', action: a, mac: b };
  else if (sub === 'network' && a !== undefined && b !== undefined) {
    body = { cmd: 'sim.network', ssid: a, bssid: b, known: values.known, inRange: !values['out-of-range'] };
  } else
    throw new UsageError(
      'expected "sim state", "sim other-wps", "sim phone join|leave MAC" or "sim network SSID BSSID"',
    );
  process.stdout.write(`${JSON.stringify(await request(values.data, body), null, 2)}\n`);
  return EXIT.ok;
}

function print(status: FullStatus, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  const assoc = status.associations.map((a) => `${a.mac} (${a.via === 'ap' ? 'on our AP' : 'our network'})`);
  const lines = [
    `mode:         ${status.mode === 'ap' ? 'access point' : 'client'}`,
    `wps:          ${status.wps}${status.wpsRole ? ` (${status.wpsRole})` : ''}${status.wpsAutoRole ? '' : ', auto role off'}`,
    `access point: ${status.accessPoint.state}${status.accessPoint.reason ? ` (${status.accessPoint.reason})` : ''}`,
    `leds:         ap=${status.leds.ap} connection=${status.leds.connection} replication=${status.leds.replication}`,
    `associations: ${assoc.length ? assoc.join(', ') : 'none'}`,
    `daemons:      wpa_supplicant=${status.daemons.station.state} hostapd=${status.daemons.ap.state}`,
    `web:          ${status.web.url ?? 'off'}`,
  ];
  if (status.lastWps)
    lines.push(`last wps:     ${status.lastWps.outcome} (${status.lastWps.role}) at ${status.lastWps.at}`);
  if (status.lastError) lines.push(`last error:   ${status.lastError}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof SocketUnreachableError) {
      process.stderr.write(`smallworld: ${error.message}\n`);
      process.exitCode = EXIT.noDaemon;
    } else if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`smallworld: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = EXIT.usage;
    } else if (error instanceof RemoteError || error instanceof ConfigError) {
      process.stderr.write(`smallworld: ${error.message}\n`);
      process.exitCode = EXIT.failed;
    } else {
      process.stderr.write(`smallworld: ${(error as Error)?.message ?? String(error)}\n`);
      process.exitCode = EXIT.failed;
    }
  },
);
