// The last thing `smallworld install` prints, and what `smallworld wifi show --qr` prints again: the access
// point's name and passphrase and a QR code a phone's camera reads to join it (the standard `WIFI:` payload,
// drawn with half-block characters so it fits an 80-column terminal).
import QRCode from 'qrcode';
import { type ApSettings, DEFAULT_PLAN, wifiQrPayload } from '../wifi/config-gen.js';

export async function onboardingLines(ap: ApSettings, apAddress = DEFAULT_PLAN.apAddress): Promise<string[]> {
  const qr = await QRCode.toString(wifiQrPayload(ap), { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
  const code = qr.replace(/\n+$/, '').split('\n');
  // The renderer ends with a line of colour codes only (the reset): keep it, on the code's last line.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  const onlyCodes = (line: string) => line.replace(/\u001b\[[0-9;]*m/g, '') === '';
  if (code.length > 1 && onlyCodes(code[code.length - 1] as string)) {
    const reset = code.pop() as string;
    code.push(`${code.pop() as string}${reset}`);
  }
  return [
    '',
    "Join this device's network with a phone: scan the code with its camera, or choose the network and type the",
    `passphrase. The Shared page then opens by itself (or open http://${apAddress}/).`,
    `  network:    ${ap.ssid}`,
    `  passphrase: ${ap.passphrase}`,
    ...code,
  ];
}

export async function printOnboarding(ap: ApSettings, out: (line: string) => void): Promise<void> {
  for (const line of await onboardingLines(ap)) out(line);
}
