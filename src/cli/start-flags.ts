// The flags of `smallworld start` and `smallworld peer`, apart from their code: the command line reads them
// before anything else loads, to fork the peer at once (early-peer.ts).
import { common } from './arguments.js';

export const peerFlags = {
  config: { type: 'string' },
  'web-host': { type: 'string' },
  'web-port': { type: 'string' },
  'ssb-host': { type: 'string' },
  'ssb-port': { type: 'string' },
  'no-auto-follow': { type: 'boolean', default: false },
} as const;

export const startFlags = {
  ...common,
  ...peerFlags,
  sim: { type: 'boolean', default: false },
  'log-level': { type: 'string' },
} as const;
