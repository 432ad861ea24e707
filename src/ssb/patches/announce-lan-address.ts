// Listening everywhere, multiserver announces whatever non-private-ip picks for "private" — on hosts whose
// interfaces are not named eth*/en*/wl* that is often an IPv6 link-local address, useless to others. The
// first RFC 1918 address is announced instead (ssb-lan's signed beacon uses this too).
import { networkInterfaces } from 'node:os';
import { legacyBeaconTargets } from '../lan-net.js';
import type { LibraryPatch } from './patch.js';
import type { ServerPatchContext } from './server-context.js';

export const announceLanAddress: LibraryPatch<ServerPatchContext> = {
  name: 'announce-rfc1918-address',
  package: ['secret-stack', 'multiserver'],
  versions: '>=3.8.0 <3.9.0',
  why: 'listening on every interface, multiserver may announce an IPv6 link-local address',
  apply(_target, { ssb, port, wildcard }) {
    if (!wildcard) return undefined;
    ssb.getAddress.hook((original, args) => {
      const [scope] = args;
      if (scope === 'private' || scope === 'local') {
        const target = legacyBeaconTargets(networkInterfaces(), null)[0];
        if (target) return `net:${target.address}:${port}~shs:${ssb.id.slice(1, -'.ed25519'.length)}`;
      }
      return original(...args);
    });
    return undefined;
  },
};
