// `smallworld wifi …`: this device's network and the known networks, shown (as text, JSON or a QR code in
// the terminal) and changed, each a typed request to the daemon. A passphrase can come from stdin, out of `ps`.
import { parseArgs } from 'node:util';
import type { Request } from '../control/protocol.js';
import { common, EXIT, UsageError } from './arguments.js';
import { request } from './calls.js';

type WifiRequest = Extract<Request, { cmd: `wifi.${string}` }>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export async function wifi(args: string[]): Promise<number> {
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
