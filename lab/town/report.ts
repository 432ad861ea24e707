// The results in the three forms the folder holds: the JSON (the contract), a Markdown table, and an SVG
// chart of the fraction of deliverable posts delivered within a given delay above the limit.
import { describeDiagnosis } from './diagnose.js';
import { describeLag } from './lag.js';
import type { Diagnosis } from './misses.js';
import type { ReplayResult } from './replay.js';
import type { Summary } from './summary.js';

/** One system's part of the report: what the replay measured and its summary against the limit. */
export type SystemReport = Summary & ReplayResult & { diagnosis?: Omit<Diagnosis, 'list'> };

export interface TownReport {
  trace: string;
  start: number;
  end: number;
  speed: number;
  minContact: number;
  /** Trace seconds of contacts replayed before the window (--warm-up). */
  warmUp: number;
  follow: string;
  seed: number;
  nodes: number;
  contacts: number;
  shortestContact: number;
  warnings: string[];
  systems: { smallworld: SystemReport | null; ssbServer: SystemReport | null };
}

const LABELS: Record<'smallworld' | 'ssbServer', string> = { smallworld: 'Smallworld', ssbServer: 'ssb-server 16' };

function fmt(n: number | null, digits = 1): string {
  return n === null ? '–' : n.toFixed(digits);
}

export function markdown(report: TownReport): string {
  const { speed } = report;
  const lines = [
    `# Town: ${report.trace}`,
    '',
    `Window [${report.start}, ${report.end}) s, ${report.nodes} devices, ${report.contacts} contacts (each at least ` +
      `${report.minContact} s; shortest ${fmt(report.shortestContact, 0)} s = ${fmt(report.shortestContact / speed)} real s), ` +
      `speed ${speed} trace s per real s, follow ${report.follow}, seed ${report.seed}` +
      (report.warmUp > 0
        ? `; the contacts of the ${report.warmUp} s before the window replayed first (--warm-up).`
        : '.'),
    '',
    '| | delivered / deliverable | ratio | delay over limit, median / p90 / max (trace s) | median in real s | peak resident per device (RSS added up; SSB peer alone) | settled resident (median / max) | CPU per device (median / max) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const key of ['smallworld', 'ssbServer'] as const) {
    const s = report.systems[key];
    if (!s) continue;
    const d = s.delayOverLimit;
    lines.push(
      `| ${LABELS[key]} | ${s.delivered} / ${s.deliverable} | ${s.ratio === null ? '–' : `${(s.ratio * 100).toFixed(1)} %`} | ` +
        `${fmt(d.median)} / ${fmt(d.p90)} / ${fmt(d.max)} | ${d.median === null ? '–' : fmt(d.median / speed, 2)} | ` +
        `${fmt(s.resources.peakResidentMB)} MB (${fmt(s.resources.peakRssMB)}; ${fmt(s.resources.peakPeerRssMB)}) | ` +
        `${fmt(s.resources.settledResidentMB.median)} / ${fmt(s.resources.settledResidentMB.max)} MB | ` +
        `${fmt(s.resources.cpuPercent.median)} / ${fmt(s.resources.cpuPercent.max)} % |`,
    );
  }
  const diagnosis = report.systems.smallworld?.diagnosis;
  if (diagnosis) {
    lines.push('', '## Where Smallworld lost deliveries (last hop of each miss; diagnosis-smallworld.json)', '');
    lines.push(describeDiagnosis({ ...diagnosis, list: [] }));
  }
  lines.push('', '## Delay over the limit by length of the last contact', '');
  lines.push('| contact length (trace s) | system | delivered / deliverable | delay median / p90 / max (trace s) |');
  lines.push('|---|---|---|---|');
  for (const key of ['smallworld', 'ssbServer'] as const) {
    const s = report.systems[key];
    if (!s) continue;
    for (const b of s.byContactLength) {
      if (b.deliverable === 0) continue;
      const d = b.delayOverLimit;
      lines.push(
        `| ${b.from}–${b.to ?? '∞'} | ${LABELS[key]} | ${b.delivered} / ${b.deliverable} | ${fmt(d.median)} / ${fmt(d.p90)} / ${fmt(d.max)} |`,
      );
    }
  }
  lines.push('', '## Run', '');
  for (const key of ['smallworld', 'ssbServer'] as const) {
    const s = report.systems[key];
    if (!s) continue;
    lines.push(
      `- ${LABELS[key]}: setup ${s.setupSeconds} s, replay ${s.replaySeconds} s; ${describeLag(s.linkLagMs)}; ` +
        `${s.failedPosts.length} posts failed to publish; ` +
        `${s.impossible} arrivals before their limit (lab faults: should be 0); ` +
        (s.resources.memoryLimit === null
          ? 'no memory limit.'
          : `each device in a ${s.resources.memoryLimit.mb} MB memory cgroup: highest charge ` +
            `${fmt(s.resources.memoryLimit.cgroupPeakMB)} MB, ${s.resources.memoryLimit.oomKills} OOM kills.`),
    );
  }
  if (report.warnings.length > 0) {
    lines.push('', `Trace warnings (${report.warnings.length}), first ones:`, '');
    for (const w of report.warnings.slice(0, 10)) lines.push(`- ${w}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Fraction of deliverable posts delivered within x trace seconds over the limit, for each system. */
export function chart(report: TownReport): string {
  const width = 640;
  const height = 360;
  const left = 60;
  const right = 20;
  const top = 40;
  const bottom = 50;
  const series = (['smallworld', 'ssbServer'] as const).flatMap((key) => {
    const s = report.systems[key];
    if (!s) return [];
    const delays: number[] = [];
    for (const p of s.posts)
      for (const d of p.deliveries)
        if (d.limit !== null && d.delivered !== null) delays.push(Math.max(0, d.delivered - d.limit));
    delays.sort((a, b) => a - b);
    return [{ key, delays, deliverable: s.deliverable }];
  });
  const maxDelay = Math.max(1, ...series.flatMap((s) => s.delays));
  const x = (v: number) => left + (v / maxDelay) * (width - left - right);
  const y = (f: number) => top + (1 - f) * (height - top - bottom);
  const colors: Record<string, string> = { smallworld: '#1f77b4', ssbServer: '#d62728' };
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">Deliverable posts delivered within a delay over the limit</text>`,
    `<line x1="${left}" y1="${y(0)}" x2="${width - right}" y2="${y(0)}" stroke="black"/>`,
    `<line x1="${left}" y1="${y(0)}" x2="${left}" y2="${y(1)}" stroke="black"/>`,
    `<text x="${width / 2}" y="${height - 12}" text-anchor="middle">delay over the limit (trace seconds; ${report.speed} per real second)</text>`,
  ];
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(
      `<line x1="${left - 4}" y1="${y(f)}" x2="${width - right}" y2="${y(f)}" stroke="#ddd"/>`,
      `<text x="${left - 8}" y="${y(f) + 4}" text-anchor="end">${Math.round(f * 100)} %</text>`,
    );
  }
  for (let i = 0; i <= 4; i++) {
    const v = (maxDelay * i) / 4;
    parts.push(`<text x="${x(v)}" y="${y(0) + 16}" text-anchor="middle">${Math.round(v)}</text>`);
  }
  series.forEach((s, i) => {
    const points: string[] = [`${x(0)},${y(0)}`];
    s.delays.forEach((d, k) => {
      const before = s.deliverable === 0 ? 0 : k / s.deliverable;
      const after = s.deliverable === 0 ? 0 : (k + 1) / s.deliverable;
      points.push(`${x(d).toFixed(1)},${y(before).toFixed(1)}`, `${x(d).toFixed(1)},${y(after).toFixed(1)}`);
    });
    const last = s.deliverable === 0 ? 0 : s.delays.length / s.deliverable;
    points.push(`${x(maxDelay)},${y(last).toFixed(1)}`);
    const color = colors[s.key] ?? 'black';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.join(' ')}"/>`);
    const label = `${LABELS[s.key]}: ${(last * 100).toFixed(1)} % of ${s.deliverable}`;
    parts.push(
      `<text x="${width - right - 8}" y="${y(0) - 12 - i * 16}" text-anchor="end" fill="${color}">${label}</text>`,
    );
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
