// Parses the unsolicited event lines of wpa_supplicant and hostapd control interfaces
// ("<3>WPS-SUCCESS", "IFNAME=wlan0 <3>AP-STA-CONNECTED 02:00:00:00:01:00", ...) into typed device events.
// Total: anything it does not understand becomes UnknownWifiDaemonEvent, never an exception.
import type { EventBody, WifiSource } from '../device/model.js';

const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;
const MAX_LINE = 4096;

export function normalizeMac(text: string | undefined): string | null {
  if (text === undefined || !MAC.test(text)) return null;
  return text.toLowerCase();
}

/** Splits "IFNAME=x <3>NAME rest" into its event name and the words after it. */
export function splitEventLine(line: string): { name: string; args: string[] } | null {
  let rest = line.trim();
  if (rest.startsWith('IFNAME=')) {
    const space = rest.indexOf(' ');
    if (space < 0) return null;
    rest = rest.slice(space + 1);
  }
  const level = /^<\d>/.exec(rest);
  if (level) rest = rest.slice(level[0].length);
  const words = rest.split(/\s+/).filter((w) => w.length > 0);
  const name = words.shift();
  if (name === undefined || !/^[A-Z][A-Z0-9-]*$/.test(name)) return null;
  return { name, args: words };
}

function keyValue(args: string[], key: string): string | undefined {
  const prefix = `${key}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

export function parseCtrlEvent(source: WifiSource, raw: string): EventBody {
  const line = raw.length > MAX_LINE ? raw.slice(0, MAX_LINE) : raw;
  const unknown: EventBody = { type: 'UnknownWifiDaemonEvent', source, line };
  const parsed = splitEventLine(line);
  if (parsed === null) return unknown;
  const { name, args } = parsed;
  switch (name) {
    case 'WPS-PBC-ACTIVE':
      return { type: 'WpsPbcActive', source };
    case 'WPS-SUCCESS':
      return { type: 'WpsSuccess', source };
    case 'WPS-FAIL': {
      const detail = args.join(' ').slice(0, 200);
      return detail ? { type: 'WpsFail', source, detail } : { type: 'WpsFail', source };
    }
    case 'WPS-TIMEOUT':
      return { type: 'WpsTimeout', source };
    case 'WPS-CANCEL':
      return { type: 'WpsCancelled', source };
    case 'WPS-OVERLAP-DETECTED':
      return { type: 'WpsOverlap', source };
    case 'AP-ENABLED':
      return source === 'ap' ? { type: 'ApEnabled' } : unknown;
    case 'AP-DISABLED':
      return source === 'ap' ? { type: 'ApDisabled' } : unknown;
    case 'CTRL-EVENT-TERMINATING':
      return { type: 'WifiDaemonDown', daemon: source, reason: 'daemon is terminating' };
  }
  if (source === 'station') {
    if (name === 'CTRL-EVENT-CONNECTED') {
      // "CTRL-EVENT-CONNECTED - Connection to <bssid> completed [id=0 id_str=]"
      const bssid = normalizeMac(args[args.indexOf('to') + 1]);
      return bssid ? { type: 'StationConnected', bssid } : unknown;
    }
    if (name === 'CTRL-EVENT-DISCONNECTED') {
      return { type: 'StationDisconnected', bssid: normalizeMac(keyValue(args, 'bssid')) };
    }
    return unknown;
  }
  if (name === 'WPS-ENROLLEE-SEEN') {
    // "WPS-ENROLLEE-SEEN <mac> <uuid> <device type> <config methods> <password id> <request type> [name]":
    // password id 4 is push-button; 0 is what every station's plain probe says.
    const mac = normalizeMac(args[0]);
    return mac ? { type: 'WpsEnrolleeSeen', mac, pbc: args[4] === '4' } : unknown;
  }
  if (name === 'AP-STA-CONNECTED' || name === 'AP-STA-DISCONNECTED' || name === 'WPS-REG-SUCCESS') {
    const mac = normalizeMac(args[0]);
    if (!mac) return unknown;
    if (name === 'AP-STA-CONNECTED') return { type: 'ApStationConnected', mac };
    if (name === 'AP-STA-DISCONNECTED') return { type: 'ApStationDisconnected', mac };
    return { type: 'WpsEnrolleeRegistered', mac };
  }
  return unknown;
}
