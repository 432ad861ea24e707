// ssb-conn 6.0 drops every connection (`hub().reset()`) whenever the list of network addresses changes,
// polled each second (on-change-network-strict). A network *appearing* — the link coming up when two people
// meet, or the device joining a second Wi-Fi while phones are on its access point — then cut the connections
// just made or still good (in the meet benchmark the fresh connection was dropped and re-made a second
// later), and a network *going away* cut the connections over every other network too: in the town lab, where
// a person is in up to 9 meetings at once, each meeting that ended cut the others. The replacement reports
// nothing; lost-networks.ts closes only the connections over a network that went away.
import { isLoaded, type LibraryPatch } from './patch.js';
import { replaceModule } from './replace-module.js';

/** on-change-network-strict's interface (`(onNetwork, ref?) => void`), never calling back. */
export function neverReportNetworkChange(_onNetwork: (addresses: string) => void, _ref?: boolean): void {}

export const connNetworkReset: LibraryPatch<unknown> = {
  name: 'no-reset-on-network-change',
  package: ['ssb-conn', 'on-change-network-strict'],
  versions: '>=1.0.0 <1.1.0',
  why: 'ssb-conn 6.0 drops every connection when a network appears or goes away (lost-networks.ts does it per network)',
  apply({ require, entry }) {
    if (isLoaded(require, entry)) return 'on-change-network-strict was loaded first';
    replaceModule(require, entry, neverReportNetworkChange);
    return undefined;
  },
};
