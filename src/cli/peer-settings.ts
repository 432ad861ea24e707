// The peer's web and SSB settings, from the config file with `start`'s or `peer`'s command-line flags winning:
// the daemon forks a peer with them, and the peer reads them itself.
import type { Config } from '../config/config.js';
import type { PeerSsbSettings } from '../peer/peer-process.js';
import { parsePort } from './arguments.js';

interface PeerFlagValues {
  'web-host'?: string | undefined;
  'web-port'?: string | undefined;
  'ssb-host'?: string | undefined;
  'ssb-port'?: string | undefined;
  'no-auto-follow'?: boolean | undefined;
}

/** The web and SSB settings: the config file's, with command-line flags winning. */
export function peerSettings(
  config: Config,
  values: PeerFlagValues,
): { web: { host: string; port: number }; ssb: PeerSsbSettings } {
  return {
    web: {
      host: values['web-host'] ?? config.web.host,
      port: values['web-port'] === undefined ? config.web.port : parsePort(values['web-port'], '--web-port'),
    },
    ssb: {
      host: values['ssb-host'] ?? config.ssb.host,
      port: values['ssb-port'] === undefined ? config.ssb.port : parsePort(values['ssb-port'], '--ssb-port'),
      hops: config.ssb.hops,
      autoFollow: { ...config.ssb.autoFollow, enabled: config.ssb.autoFollow.enabled && !values['no-auto-follow'] },
      reserveBytes: config.storage.reserveBytes,
    },
  };
}
