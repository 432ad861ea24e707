// ssb-conn 6.0 drops every connection (`hub().reset()`) whenever the list of network addresses changes,
// polled each second (on-change-network-strict). A network *appearing* — the link coming up when two people
// meet, or the device joining a second Wi-Fi while phones are on its access point — then cuts the
// connections just made or still good: in the meet benchmark the fresh connection was dropped and re-made
// about a second later. The replacement reports a change only when an address we had is gone (a connection
// over it is stale), which is the case the reset is for.
import { networkInterfaces } from 'node:os';
import { isLoaded, type LibraryPatch } from './patch.js';
import { replaceModule } from './replace-module.js';

/** The non-internal addresses of the interfaces that are up, as `interface/address`. */
function currentAddresses(): Set<string> {
  const addresses = new Set<string>();
  for (const [name, infos] of Object.entries(networkInterfaces())) {
    for (const info of infos ?? []) if (!info.internal) addresses.add(`${name}/${info.address}`);
  }
  return addresses;
}

/**
 * on-change-network-strict's interface (`(onNetwork, ref?) => void`, polled each second), reporting only
 * addresses that went away; `current` is for tests.
 */
export function onAddressGone(
  onNetwork: (addresses: string) => void,
  ref?: boolean,
  current: () => Set<string> = currentAddresses,
  intervalMs = 1000,
): NodeJS.Timeout {
  let known = current();
  const timer = setInterval(() => {
    const now = current();
    const gone = [...known].some((address) => !now.has(address));
    known = now;
    if (gone) onNetwork([...now].join(','));
  }, intervalMs);
  if (!ref) timer.unref();
  return timer;
}

export const connNetworkReset: LibraryPatch<unknown> = {
  name: 'reset-only-when-address-gone',
  package: ['ssb-conn', 'on-change-network-strict'],
  versions: '>=1.0.0 <1.1.0',
  why: 'ssb-conn 6.0 drops every connection when a network appears, e.g. when two devices meet',
  apply({ require, entry }) {
    if (isLoaded(require, entry)) return 'on-change-network-strict was loaded first';
    replaceModule(require, entry, onAddressGone);
    return undefined;
  },
};
