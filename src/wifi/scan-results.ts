// Parsers for what the daemons and iw report about other access points. Everything in a scan came over
// the air (SSIDs, WPS attributes), so the parsers are total and bounded: odd lines are skipped, never thrown.
import type { PeerAp } from '../device/model.js';
import { normalizeMac } from './ctrl-events.js';

const MAX_PEERS = 256;
const MAX_SSID = 128;

/**
 * wpa_supplicant's SCAN_RESULTS: a header, then "bssid<TAB>frequency<TAB>signal<TAB>flags<TAB>ssid" per
 * access point. The SSID is last and may itself hold tabs or look like flags, so only the fourth field is
 * read as flags. "[WPS-PBC]" there means the beacon's WPS element has a selected registrar in push-button mode.
 */
export function parseWpaScanResults(text: string): PeerAp[] {
  const peers: PeerAp[] = [];
  for (const line of text.split('\n')) {
    if (peers.length >= MAX_PEERS) break;
    const fields = line.split('\t');
    if (fields.length < 4) continue;
    const bssid = normalizeMac(fields[0]?.trim());
    if (bssid === null) continue;
    const flags = fields[3] ?? '';
    const ssid = fields.slice(4).join('\t').slice(0, MAX_SSID);
    peers.push({ bssid, ssid, pbc: /\[WPS-PBC\]/.test(flags) });
  }
  return peers;
}

/**
 * `iw dev IF scan` output: a "BSS <mac>(on IF)" line opens each access point; within it the WPS element's
 * "Selected Registrar: 0x1" and "Device Password ID: 4" (push-button) together mean a PBC session. Only
 * lines indented as attributes count, so an SSID that spells out those words changes nothing.
 */
export function parseIwScan(text: string): PeerAp[] {
  const peers: PeerAp[] = [];
  let current: { bssid: string; ssid: string; selected: boolean; pushButton: boolean } | null = null;
  const close = () => {
    if (current !== null && peers.length < MAX_PEERS) {
      peers.push({ bssid: current.bssid, ssid: current.ssid, pbc: current.selected && current.pushButton });
    }
    current = null;
  };
  for (const line of text.split('\n')) {
    const bss = /^BSS ([0-9a-fA-F:]{17})/.exec(line);
    if (bss) {
      close();
      const bssid = normalizeMac(bss[1]);
      current = bssid === null ? null : { bssid, ssid: '', selected: false, pushButton: false };
      continue;
    }
    if (current === null) continue;
    const ssid = /^\tSSID: (.*)$/.exec(line);
    if (ssid) current.ssid = (ssid[1] ?? '').slice(0, MAX_SSID);
    else if (/^\t\t \* Selected Registrar: 0x0*1\s*$/.test(line)) current.selected = true;
    else if (/^\t\t \* Device Password ID: (0x)?0*4\b/.test(line)) current.pushButton = true;
  }
  close();
  return peers;
}

/** wpa_supplicant states in which the station is talking to an access point (joining it or joined). */
const IN_CONTACT = new Set([
  'AUTHENTICATING',
  'ASSOCIATING',
  'ASSOCIATED',
  '4WAY_HANDSHAKE',
  'GROUP_HANDSHAKE',
  'COMPLETED',
]);

/**
 * Milliseconds since wpa_supplicant last saw `bssid` in push-button mode, from its STATUS and `BSS <bssid>`
 * replies: 0 while the station talks to it, the BSS entry's `age` (seconds since its last beacon or probe
 * response) when that beacon advertised a push-button session, else null (unknown, gone from the table,
 * or no longer in push-button mode). Only the first of each key counts, and only whole lines.
 */
export function parseHostSighting(bssid: string, statusText: string, bssText: string): number | null {
  const target = normalizeMac(bssid);
  if (target === null) return null;
  const status = firstValues(statusText);
  const talkingTo = status.bssid === undefined ? target : normalizeMac(status.bssid);
  if (IN_CONTACT.has(status.wpa_state ?? '') && talkingTo === target) return 0;
  const bss = firstValues(bssText);
  if (normalizeMac(bss.bssid) !== target || !/\[WPS-PBC\]/.test(bss.flags ?? '')) return null;
  const age = /^\d{1,9}$/.test(bss.age ?? '') ? Number(bss.age) : null;
  return age === null ? null : age * 1000;
}

function firstValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n').slice(0, 200)) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!(key in out)) out[key] = line.slice(eq + 1).trim();
  }
  return out;
}
