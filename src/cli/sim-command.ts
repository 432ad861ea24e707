// `smallworld sim …`: the simulator's air (with `start --sim`): its state, another device pressing WPS, a
// phone joining or leaving, a network appearing; each a typed request to the daemon, answered as JSON.
import { parseArgs } from 'node:util';
import type { Request } from '../control/protocol.js';
import { common, EXIT, UsageError } from './arguments.js';
import { request } from './calls.js';

type SimRequest = Extract<Request, { cmd: `sim.${string}` }>;

export async function sim(args: string[]): Promise<number> {
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
