// The legacy LAN beacon: a UDP datagram holding a multiserver address in plain UTF-8, such as
// `net:192.168.4.5:8008~shs:<base64 ed25519 public key>`, as ssb-local (ssb-server 16), go-ssb and
// ssb-lan's legacy mode send on UDP 8008. Anyone on the LAN can send anything, so the parser is
// total: it returns an error value for every input it does not like and never throws.
import { isIP } from 'node:net';

/** go-ssb reads discovery packets into a 128-byte buffer, so what we send must fit. */
export const MAX_SENT_BEACON_BYTES = 128;
/**
 * What we accept. Larger than what we send because ssb-server may announce several addresses joined
 * by `;` (one per scope/interface); anything past this is not a beacon anybody sends.
 */
export const MAX_RECEIVED_BEACON_BYTES = 512;
/** More `;`-separated entries than this is not something a real peer announces. */
const MAX_ENTRIES = 8;

export interface LegacyBeacon {
  host: string;
  port: number;
  /** The feed id, `@<base64>.ed25519`. */
  key: string;
  /** The canonical single address to dial: `net:<host>:<port>~shs:<base64>`. */
  address: string;
}

export type LegacyBeaconResult = LegacyBeacon | { error: string };

const KEY_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
const PORT_DIGITS = /^[1-9][0-9]{0,4}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function isBeaconError(result: LegacyBeaconResult): result is { error: string } {
  return 'error' in result;
}

/** Parses one received datagram. Uses the first `net:` entry with an `shs` key, as go-ssb does. */
export function parseLegacyBeacon(input: unknown): LegacyBeaconResult {
  let text: string;
  if (typeof input === 'string') {
    if (input.length > MAX_RECEIVED_BEACON_BYTES) return { error: 'oversized' };
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength === 0) return { error: 'empty' };
    if (input.byteLength > MAX_RECEIVED_BEACON_BYTES) return { error: 'oversized' };
    try {
      text = utf8.decode(input);
    } catch {
      return { error: 'not-utf8' };
    }
  } else {
    return { error: 'not-bytes' };
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_RECEIVED_BEACON_BYTES) return { error: 'oversized' };
  // Some senders pad with NULs or end with a newline; nothing else outside printable ASCII is allowed.
  const trimmed = text.replace(/[\0\s]+$/, '');
  if (trimmed.length === 0) return { error: 'empty' };
  if (!/^[\x21-\x7e]+$/.test(trimmed)) return { error: 'bad-characters' };

  const entries = trimmed.split(';');
  if (entries.length > MAX_ENTRIES) return { error: 'too-many-addresses' };
  let firstError = 'no-net-address';
  for (const entry of entries) {
    if (!entry.startsWith('net:')) continue;
    const parsed = parseNetShsAddress(entry);
    if (!isBeaconError(parsed)) return parsed;
    if (firstError === 'no-net-address') firstError = parsed.error;
  }
  return { error: firstError };
}

/** Parses exactly `net:<ip>:<port>~shs:<key>`; other transforms or extra parts are refused. */
function parseNetShsAddress(entry: string): LegacyBeaconResult {
  const parts = entry.split('~');
  if (parts.length !== 2) return { error: 'not-net-shs' };
  const [net, shs] = parts as [string, string];
  if (!shs.startsWith('shs:')) return { error: 'not-net-shs' };
  const keyBase64 = shs.slice('shs:'.length);
  if (!KEY_BASE64.test(keyBase64)) return { error: 'bad-key' };
  // A non-canonical encoding (stray low bits in the last character) would name the same key twice.
  if (Buffer.from(keyBase64, 'base64').toString('base64') !== keyBase64) return { error: 'bad-key' };

  // The host may be IPv6 with colons of its own, so the port is whatever follows the last colon.
  const hostPort = net.slice('net:'.length);
  const lastColon = hostPort.lastIndexOf(':');
  if (lastColon === -1) return { error: 'bad-port' };
  if (lastColon === 0) return { error: 'bad-host' };
  const host = hostPort.slice(0, lastColon);
  const portText = hostPort.slice(lastColon + 1);
  if (!PORT_DIGITS.test(portText)) return { error: 'bad-port' };
  const port = Number(portText);
  if (port > 65535) return { error: 'bad-port' };
  if (!isUsableUnicastIp(host)) return { error: 'bad-host' };

  return { host, port, key: `@${keyBase64}.ed25519`, address: formatAddress(host, port, keyBase64) };
}

/** Only IP literals a peer can actually be dialled at; names would need DNS and defeat the source check. */
function isUsableUnicastIp(host: string): boolean {
  const family = isIP(host);
  if (family === 4) {
    const octets = host.split('.');
    // isIP accepts only canonical dotted quads, but refuse leading zeros explicitly (octal ambiguity).
    if (octets.some((o) => o.length > 1 && o.startsWith('0'))) return false;
    const first = Number(octets[0]);
    if (host === '0.0.0.0' || host === '255.255.255.255') return false;
    if (first >= 224) return false; // multicast and reserved
    return true;
  }
  if (family === 6) {
    const lower = host.toLowerCase();
    if (lower === '::' || lower.startsWith('ff')) return false; // unspecified, multicast
    return true;
  }
  return false;
}

function formatAddress(host: string, port: number, keyBase64: string): string {
  return `net:${host}:${port}~shs:${keyBase64}`;
}

/**
 * The beacon we send: a single `net:` address (so it is also the first one) within 128 bytes.
 * Throws on invalid arguments: they come from our own configuration, not from the network.
 */
export function formatLegacyBeacon(beacon: { host: string; port: number; key: string }): Buffer {
  const keyBase64 = beacon.key.replace(/^@/, '').replace(/\.ed25519$/, '');
  const text = formatAddress(beacon.host, beacon.port, keyBase64);
  const parsed = parseLegacyBeacon(text);
  if (isBeaconError(parsed)) throw new RangeError(`cannot announce ${text}: ${parsed.error}`);
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.byteLength > MAX_SENT_BEACON_BYTES) {
    throw new RangeError(`beacon is ${bytes.byteLength} bytes, more than ${MAX_SENT_BEACON_BYTES}`);
  }
  return bytes;
}
