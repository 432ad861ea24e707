// The SSB peer as the web routes reach it: present, or absent with the reason said (not started with
// --ssb-port 0, or failed to start), which the SSB pages show instead of their data (503).
import type { SsbPeer } from '../ssb/peer-api.js';
import { HttpError } from './errors.js';

export interface SsbAccess {
  /** The peer when this process runs one. */
  readonly running: SsbPeer | null;
  /** Why there is no peer, in words. */
  absence(): string;
  /** The peer, or a 503 saying why there is none. */
  peer(): SsbPeer;
}

export function ssbAccess(ssb: SsbPeer | null | undefined, failure: string | null | undefined): SsbAccess {
  const absence = () =>
    failure ? `the SSB peer could not start: ${failure}` : 'the SSB peer is not running on this device (--ssb-port 0)';
  return {
    running: ssb ?? null,
    absence,
    peer() {
      if (!ssb) throw new HttpError(503, absence());
      return ssb;
    },
  };
}
