// When the development daemon (`smallworld start`, which forks the peer itself) restarts a peer that died:
// the same rule as the installed unit's Restart=on-failure, RestartSec=2s, StartLimitBurst=5 in
// StartLimitIntervalSec=600 (src/install/templates.ts). A peer killed for memory (SIGKILL from the OOM killer)
// comes back and resumes replicating from what its log holds; one that keeps failing is left stopped.

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RestartDecision {
  restart: boolean;
  delayMs: number;
  /** Start times within the window, the restart's included. */
  starts: number[];
}

export const RESTART_DELAY_MS = 2_000;
export const START_LIMIT_BURST = 5;
export const START_LIMIT_WINDOW_MS = 600_000;

/** A clean exit (code 0, or stopped by SIGTERM/SIGINT) is not a failure, as for systemd's on-failure. */
export function isFailure(exit: PeerExit): boolean {
  if (exit.signal !== null) return exit.signal !== 'SIGTERM' && exit.signal !== 'SIGINT';
  return exit.code !== 0;
}

/** Pure: given the earlier start times, the exit and the time, whether and when to start the peer again. */
export function decideRestart(starts: number[], exit: PeerExit, now: number): RestartDecision {
  const recent = starts.filter((t) => now + RESTART_DELAY_MS - t < START_LIMIT_WINDOW_MS);
  if (!isFailure(exit) || recent.length >= START_LIMIT_BURST) return { restart: false, delayMs: 0, starts: recent };
  return { restart: true, delayMs: RESTART_DELAY_MS, starts: [...recent, now + RESTART_DELAY_MS] };
}
