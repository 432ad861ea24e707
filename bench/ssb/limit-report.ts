// The `--memory-limit` part of the results: per system, whether the hold transfer completed inside the limit,
// whether the kernel killed anything for exceeding it, and the peaks on the way. Nothing here measures.
import type { LimitOutcome } from './scenarios.js';

export interface LimitSummary {
  /** Every run received every message. */
  completed: boolean;
  /** In some run the kernel killed one of the device's processes for exceeding the limit. */
  oomKilled: boolean;
  /** The SSB process's highest peak resident memory over the runs, MB. */
  peakMB: number | null;
  /** Median time from the dial to the last message, of the runs that completed, s. */
  seconds: number | null;
  /** The highest peak charged to the cgroup (processes and page cache), MB. */
  cgroupPeakMB: number | null;
  /** Smallworld's connectivity daemon's highest peak, MB (null for ssb-server). */
  daemonPeakMB: number | null;
  runs: LimitOutcome[];
}

const round1 = (value: number) => Math.round(value * 10) / 10;

function maxOf(values: Array<number | null>): number | null {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return finite.length > 0 ? round1(Math.max(...finite)) : null;
}

function medianOf(values: Array<number | null>): number | null {
  const sorted = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  return Math.round(median * 100) / 100;
}

export function summariseLimit(outcomes: LimitOutcome[]): LimitSummary {
  return {
    completed: outcomes.length > 0 && outcomes.every((o) => o.completed),
    oomKilled: outcomes.some((o) => o.oomKilled),
    peakMB: maxOf(outcomes.map((o) => o.peakMB)),
    seconds: medianOf(outcomes.map((o) => o.seconds)),
    cgroupPeakMB: maxOf(outcomes.map((o) => o.cgroupPeakMB)),
    daemonPeakMB: maxOf(outcomes.map((o) => o.daemonPeakMB)),
    runs: outcomes,
  };
}

/** A Markdown table of the section, for results.md. */
export function limitTable(section: {
  mb: number;
  cgroup: { version: string; file: string };
  smallworld: LimitSummary | null;
  ssbServer: LimitSummary | null;
}): string {
  const cell = (value: number | null, unit: string) => (value === null ? '–' : `${value} ${unit}`);
  const row = (name: string, s: LimitSummary | null) =>
    s === null
      ? `| ${name} | – | – | – | – | – |`
      : `| ${name} | ${s.completed ? 'yes' : 'no'} | ${s.oomKilled ? 'yes' : 'no'} | ${cell(s.peakMB, 'MB')} | ${cell(
          s.cgroupPeakMB,
          'MB',
        )} | ${cell(s.seconds, 's')} |`;
  return [
    `Receiving device inside a ${section.mb} MB memory cgroup (${section.cgroup.version}, ${section.cgroup.file}):`,
    '',
    '| System | Completed | OOM-killed | Peak (SSB process) | Peak (cgroup, with page cache) | Time to complete |',
    '|---|---|---|---|---|---|',
    row('Smallworld', section.smallworld),
    row('ssb-server 16', section.ssbServer),
  ].join('\n');
}
