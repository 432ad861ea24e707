// The ways the long-running processes are started, each with its Node options. V8 takes a code cache only
// under the options it was made with, so the build (scripts/bundle.js) makes one of each process's bundle and
// of the SSB library pack for each way (process/cached-bundle.ts, ssb/module-pack.ts).
import { PEER_UNIT_NODE_ARGS, peerUnitNodeOptions } from '../install/templates.js';
import { forkedPeerExecArgv } from './peer-supervisor.js';

export interface ProcessStart {
  how: string;
  execArgv: string[];
  /** NODE_OPTIONS ('' for none). */
  nodeOptions: string;
}

const BY_HAND: ProcessStart = { how: 'by hand', execArgv: [], nodeOptions: '' };

/** The peer: by hand, forked by `smallworld start` (from a daemon started by hand), by its systemd unit. */
export function peerStarts(): ProcessStart[] {
  return [
    BY_HAND,
    { how: 'forked', execArgv: forkedPeerExecArgv([], undefined, ''), nodeOptions: '' },
    { how: 'unit', execArgv: [...PEER_UNIT_NODE_ARGS], nodeOptions: peerUnitNodeOptions() },
  ];
}

/** The daemon: by hand as by its systemd unit, without options. */
export function daemonStarts(): ProcessStart[] {
  return [BY_HAND];
}
