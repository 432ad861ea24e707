// The two Wi-Fi daemons as the device core sees them. Real adapters speak the daemons' control
// interfaces; the simulated ones answer the same calls the way the daemons do.
import type { EventBody } from '../device/model.js';

/** Adapters report what their daemon says (already parsed) through this sink. */
export type WifiEventSink = (event: EventBody) => void;

/** wpa_supplicant on the Wi-Fi interface: the device as a client (enrollee in WPS). */
export interface WifiStationPort {
  /** "none" frees the radio for the AP; "known" lets the station join the known networks. */
  configure(networks: 'none' | 'known'): Promise<void>;
  wpsStart(): Promise<void>;
  wpsCancel(): Promise<void>;
  /** The BSS the station is associated with now, or null. */
  association(): Promise<string | null>;
  close(): Promise<void>;
}

/** hostapd on the Wi-Fi interface: the device's own network (registrar in WPS). */
export interface AccessPointPort {
  start(): Promise<void>;
  stop(): Promise<void>;
  wpsStart(): Promise<void>;
  wpsCancel(): Promise<void>;
  /** MACs of the stations associated now (empty when the AP is down). */
  stations(): Promise<string[]>;
  /**
   * Drops the per-device key WPS issued to this station, so it cannot reconnect with it. With `now`,
   * hostapd also forgets it in memory (which disconnects the station); otherwise at its next reload.
   */
  forgetKey(mac: string, now: boolean): Promise<void>;
  close(): Promise<void>;
}
