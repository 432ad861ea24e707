// How late the lab's link changes took effect: the figure that says whether the lab kept to the trace's clock.
// A change that is late shifts the devices' whole meeting, and the delay over the limit counts it against the
// system, so a run is only a measurement of the system when these stay small.
import { percentile } from './summary.js';

/** A run kept up when 90 % of its link changes took effect within this many real ms of their time. */
export const KEPT_UP_P90_MS = 1000;

export interface LinkLag {
  /** Link changes applied (contacts up and down). */
  changes: number;
  /** Real ms from a change's scheduled time to the moment both devices had it: median, 90th percentile, max. */
  median: number;
  p90: number;
  max: number;
  /** p90 within KEPT_UP_P90_MS. */
  keptUp: boolean;
}

/** Pure: the summary of the lags (real ms) of a run's link changes. */
export function linkLag(lagsMs: readonly number[]): LinkLag {
  const sorted = [...lagsMs].sort((a, b) => a - b);
  const p90 = Math.round(percentile(sorted, 90) ?? 0);
  return {
    changes: sorted.length,
    median: Math.round(percentile(sorted, 50) ?? 0),
    p90,
    max: Math.round(sorted[sorted.length - 1] ?? 0),
    keptUp: p90 <= KEPT_UP_P90_MS,
  };
}

/** One line for progress and the report. */
export function describeLag(lag: LinkLag): string {
  const verdict = lag.keptUp ? 'kept up' : `fell behind (p90 over ${KEPT_UP_P90_MS} ms)`;
  return `link changes late by median ${lag.median} ms, p90 ${lag.p90} ms, max ${lag.max} ms over ${lag.changes}: ${verdict}`;
}
