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
