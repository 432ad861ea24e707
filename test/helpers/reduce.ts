// Folds events through the pure reducer, as the runtime would, collecting every effect.
import type { DeviceEvent, DeviceState, Effect, EventBody, PersistedState } from '../../src/device/model.js';
import { boot, reduce } from '../../src/device/reducer.js';

/** Events 10 ms apart from t = 1 s, or at the time an event carries (`{ ...body, at }`). */
export function run(
  events: Array<EventBody | DeviceEvent>,
  from: DeviceState | PersistedState | null = null,
): { state: DeviceState; effects: Effect[]; perEvent: Effect[][] } {
  let state: DeviceState = from !== null && 'timers' in from ? from : boot(from as PersistedState | null)[0];
  const perEvent: Effect[][] = [];
  let at = 1_000;
  for (const body of events) {
    at = 'at' in body ? body.at : at + 10;
    const [next, effects] = reduce(state, { ...body, at });
    state = next;
    perEvent.push(effects);
  }
  return { state, effects: perEvent.flat(), perEvent };
}

/** Effects without log lines, which are for people rather than for the hardware. */
export const acting = (effects: Effect[]) => effects.filter((e) => e.type !== 'Log');

export const ofType = <T extends Effect['type']>(effects: Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

export const AP_MODE: PersistedState = { version: 1, mode: 'ap', keys: { oneTime: true, trusted: [] } };
/** Client mode with auto role off: a WPS press makes the device an enrollee at once, as before auto role. */
export const CLIENT_MODE: PersistedState = {
  version: 1,
  mode: 'client',
  keys: { oneTime: true, trusted: [] },
  wps: { autoRole: false },
};
/** Client mode with auto role on (the default): a WPS press searches first. */
export const CLIENT_AUTO: PersistedState = {
  version: 1,
  mode: 'client',
  keys: { oneTime: true, trusted: [] },
  wps: { autoRole: true },
};

/** AP mode with hostapd reporting the access point enabled. */
export function enabledAp(): DeviceState {
  return run([{ type: 'ApEnabled' }], AP_MODE).state;
}
