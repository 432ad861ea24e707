// The device's commands, each a typed request to the daemon answered with its status: `status`, `press`,
// `ap`, `wps` and `keys`; the status printed as lines for people or as JSON.
import { parseArgs } from 'node:util';
import type { Command, ControlReplies, Request } from '../control/protocol.js';
import type { FullStatus } from '../device/status.js';
import { common, EXIT, UsageError } from './arguments.js';
import { request } from './calls.js';

/** The commands the daemon answers with its status. */
type StatusCommand = { [C in Command]: ControlReplies[C] extends FullStatus ? C : never }[Command];
type StatusRequest = Extract<Request, { cmd: StatusCommand }>;

export async function status(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: common, strict: true });
  const result = await request(values.data, { cmd: 'status' });
  print(result, values.json);
  return EXIT.ok;
}

export async function oneWord<W extends string>(
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

export async function wpsCommand(args: string[]): Promise<number> {
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

export async function keys(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: common, strict: true, allowPositionals: true });
  const [sub, arg] = positionals;
  let body: StatusRequest;
  if (sub === 'one-time' && (arg === 'on' || arg === 'off')) body = { cmd: 'keys.one-time', enabled: arg === 'on' };
  else if (sub === 'revoke' && arg !== undefined) body = { cmd: 'keys.revoke', mac: arg };
  else throw new UsageError('expected "keys one-time on|off" or "keys revoke MAC"');
  print(await request(values.data, body), values.json);
  return EXIT.ok;
}

export function print(status: FullStatus, json: boolean): void {
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
