// The control socket's commands (control/protocol.ts), each answered with its reply type: button and Wi-Fi
// requests become runtime events answered with the status they led to, settings go through the settings in
// use, the simulator's commands reach its air (or are refused on real radios), and `subscribe` pushes every
// new status until the connection closes.
import { ControlError, type DeviceProtocol, type StatusPush } from '../control/protocol.js';
import type { Handlers } from '../control/server.js';
import { withAp, withNetwork, withOrder, withoutNetwork } from '../wifi/settings.js';
import type { SimAir } from '../wifi/sim.js';
import type { EventBody } from './model.js';
import type { DeviceRuntime } from './runtime.js';
import type { FullStatus } from './status.js';
import type { WifiSettingsInUse } from './wifi-settings-in-use.js';

export interface HandledDevice {
  runtime: DeviceRuntime;
  settings: WifiSettingsInUse;
  air: SimAir | null;
  status(): FullStatus;
  /** Reads the storage figures again (a status request shows them fresh). */
  refreshStorage(): Promise<void>;
  /** The peer process says where its web page is. */
  peerReported(report: { webUrl: string | null }): void;
}

export function controlHandlers(device: HandledDevice): Handlers<DeviceProtocol> {
  const { runtime, settings } = device;
  /** Dispatches an event, then answers with the status it led to. */
  const statusAfter = async (event: EventBody): Promise<FullStatus> => {
    await runtime.dispatch(event);
    return device.status();
  };
  const sim = (): SimAir => {
    if (device.air === null)
      throw new ControlError('not_simulated', 'this daemon drives real radios, not the simulator');
    return device.air;
  };
  return {
    status: async () => {
      await device.refreshStorage();
      return device.status();
    },
    press: (request) => statusAfter({ type: 'ButtonPressed', button: request.button }),
    ap: (request) => statusAfter({ type: 'ApRequested', on: request.on }),
    wps: (request) => statusAfter({ type: 'WpsRequested', action: request.action }),
    'wps.auto-role': (request) => statusAfter({ type: 'AutoRoleSet', enabled: request.enabled }),
    'keys.one-time': (request) => statusAfter({ type: 'OneTimeKeysSet', enabled: request.enabled }),
    'keys.revoke': (request) => statusAfter({ type: 'DeviceRevoked', mac: request.mac }),
    replication: async (request) => {
      await runtime.dispatch({ type: 'ReplicationChanged', replicating: request.replicating });
      return null;
    },
    'peer.report': async (request) => {
      if (request.web) device.peerReported({ webUrl: request.web.url });
      return null;
    },
    subscribe: async (_request, connection) => {
      const unsubscribe = runtime.subscribe(() =>
        connection.push({ event: 'status', status: device.status() } satisfies StatusPush),
      );
      connection.onClose(unsubscribe);
      return device.status();
    },
    'wifi.get': async () => settings.view(),
    'wifi.ap.set': async (request) => {
      const change: { ssid?: string; passphrase?: string } = {};
      if (request.ssid !== undefined) change.ssid = request.ssid;
      if (request.passphrase !== undefined) change.passphrase = request.passphrase;
      if (Object.keys(change).length === 0)
        throw new ControlError('bad_request', 'wifi.ap.set: give an ssid, a passphrase, or both');
      return settings.change((s) => withAp(s, change), 'ap');
    },
    'wifi.networks.add': (request) =>
      settings.change((s) => withNetwork(s, { ssid: request.ssid, passphrase: request.passphrase }), 'known-networks'),
    'wifi.networks.remove': (request) => settings.change((s) => withoutNetwork(s, request.ssid), 'known-networks'),
    'wifi.networks.order': (request) => settings.change((s) => withOrder(s, request.ssids), 'known-networks'),
    'sim.state': async () => sim().snapshot(),
    'sim.other-wps': async (request) => sim().otherDevicePressesWps(request.mac),
    'sim.phone': async (request) => {
      if (request.action === 'join') sim().phoneJoins(request.mac);
      else sim().phoneLeaves(request.mac);
      return sim().snapshot();
    },
    'sim.network': async (request) => {
      const { cmd: _cmd, ...network } = request;
      sim().setNetwork(network);
      return sim().snapshot();
    },
  };
}
