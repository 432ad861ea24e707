// The two Wi-Fi daemons as the device core sees them. Real adapters speak the daemons' control
// interfaces; the simulated ones answer the same calls the way the daemons do.
import type { EventBody, PeerAp } from '../device/model.js';

/** Adapters report what their daemon says (already parsed) through this sink. */
export type WifiEventSink = (event: EventBody) => void;

/** What one scan saw, and our own address on the radio (the BSSID our access point has or would have). */
export interface ScanReport {
  own: string | null;
  peers: PeerAp[];
}

/** wpa_supplicant on the Wi-Fi interface: the device as a client (enrollee in WPS). */
export interface WifiStationPort {
  /** "none" frees the radio for the AP; "known" lets the station join the known networks. */
  configure(networks: 'none' | 'known'): Promise<void>;
  /** Push-button enrollment; with `bssid`, only with that access point. */
  wpsStart(bssid?: string): Promise<void>;
  wpsCancel(): Promise<void>;
  /** One fresh scan (nothing remembered from earlier ones) for access points and their WPS state. */
  scan(): Promise<ScanReport>;
  /** The BSS the station is associated with now, or null. */
  association(): Promise<string | null>;
  /**
   * How long ago the station last saw this access point in push-button mode, in milliseconds: 0 while it
   * is talking to it (associating, exchanging WPS messages), null when it has not seen it so (unknown, or
   * its last beacon advertised no push-button session).
   */
  lastSeenHosting(bssid: string): Promise<number | null>;
  close(): Promise<void>;
}

/** hostapd on the Wi-Fi interface: the device's own network (registrar in WPS). */
export interface AccessPointPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  wpsStart(): Promise<void>;
  wpsCancel(): Promise<void>;
  /**
   * One brief scan from the access point's own interface (no station needed: one radio) for other
   * access points in push-button mode. Drivers that cannot scan while beaconing reject it.
   */
  scan(): Promise<ScanReport>;
  /** Whether hostapd reports the access point enabled (STATUS state=ENABLED). */
  enabled(): Promise<boolean>;
  /** MACs of the stations associated now (empty when the AP is down). */
  stations(): Promise<string[]>;
  /**
   * Drops the per-device key WPS issued to this station, so it cannot reconnect with it. With `now`,
   * hostapd also forgets it in memory (which disconnects the station); otherwise at its next reload.
   */
  forgetKey(mac: string, now: boolean): Promise<void>;
  close(): Promise<void>;
}
