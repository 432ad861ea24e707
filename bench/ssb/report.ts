// Turns the benchmark's raw measurements into figures (median and min–max per system, the ratio), a
// Markdown table and an SVG chart. Nothing here measures anything.
import type { SystemName } from './systems.js';

export interface Spread {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export interface FigureDef {
  id: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  scenario: string;
  measurement: string;
  /** Multiplies the raw measurement for display (e.g. a fraction as %). */
  scale?: number;
  decimals: number;
  /** ssb-server's measurement to set beside Smallworld's when it has no such part of its own (default: the same). */
  ssbServerMeasurement?: string;
  /** Measured for Smallworld only (ssb-server has no such part): its target is checked without a ratio. */
  smallworldOnly?: boolean;
  /** The issue's target for Smallworld, as text and as a check of the medians. */
  target?: { text: string; met(smallworld: number, ssbServer: number): boolean };
}

export interface Figure {
  id: string;
  title: string;
  unit: string;
  better: 'higher' | 'lower';
  smallworld: Spread | null;
  ssbServer: Spread | null;
  /** Smallworld's median divided by ssb-server's. */
  ratio: number | null;
  target: string | null;
  met: boolean | null;
}

export type Raw = Record<string, Record<SystemName, Array<Record<string, number>>>>;

export function spread(values: number[]): Spread | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median =
    sorted.length % 2 === 1
      ? (sorted[Math.floor(mid)] ?? Number.NaN)
      : ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
  return { median, min: sorted[0] ?? Number.NaN, max: sorted.at(-1) ?? Number.NaN, runs: finite };
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

export function figures(defs: FigureDef[], raw: Raw): Figure[] {
  return defs
    .filter((def) => raw[def.scenario] !== undefined)
    .map((def) => {
      const of = (system: SystemName) => {
        const runs = raw[def.scenario]?.[system] ?? [];
        const measurement = system === 'ssb-server' ? (def.ssbServerMeasurement ?? def.measurement) : def.measurement;
        const s = spread(runs.map((m) => (m[measurement] ?? Number.NaN) * (def.scale ?? 1)));
        if (!s) return null;
        return {
          median: round(s.median, def.decimals),
          min: round(s.min, def.decimals),
          max: round(s.max, def.decimals),
          runs: s.runs.map((v) => round(v, def.decimals)),
        };
      };
      const sw = of('smallworld');
      const ssb = of('ssb-server');
      const ratio = sw && ssb && ssb.median !== 0 ? round(sw.median / ssb.median, 2) : null;
      return {
        id: def.id,
        title: def.title,
        unit: def.unit,
        better: def.better,
        smallworld: sw,
        ssbServer: ssb,
        ratio,
        target: def.target?.text ?? null,
        met:
          def.target && sw && (ssb || def.smallworldOnly) ? def.target.met(sw.median, ssb?.median ?? Number.NaN) : null,
      };
    });
}

function fmt(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

function cell(s: Spread | null): string {
  if (!s) return 'n/a';
  return s.runs.length > 1 ? `**${fmt(s.median)}** (${fmt(s.min)}–${fmt(s.max)})` : `**${fmt(s.median)}**`;
}

export function markdownTable(figs: Figure[]): string {
  const lines = [
    '| figure | Smallworld median (min–max) | ssb-server 16 median (min–max) | Smallworld ÷ ssb-server | target | met |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const f of figs) {
    const better = f.better === 'higher' ? 'higher is better' : 'lower is better';
    const met = f.met === null ? '' : f.met ? 'yes' : 'no';
    lines.push(
      `| ${f.title}, ${f.unit} (${better}) | ${cell(f.smallworld)} | ${cell(f.ssbServer)} | ${
        f.ratio === null ? 'n/a' : `${fmt(f.ratio)}×`
      } | ${f.target ?? ''} | ${met} |`,
    );
  }
  return lines.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * One row per figure, two horizontal bars (Smallworld, ssb-server) scaled to the larger of the two, a
 * whisker for each system's min–max, and the median written at the bar's end.
 */
export function svgChart(figs: Figure[], caption: string): string {
  const width = 960;
  const labelWidth = 330;
  const barArea = width - labelWidth - 150;
  const rowHeight = 64;
  const top = 56;
  const height = top + figs.length * rowHeight + 40;
  const colors: Record<'smallworld' | 'ssbServer', string> = { smallworld: '#2f7d4f', ssbServer: '#8a8f98' };
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">`,
    `<title>Smallworld vs stock ssb-server 16: ${escapeXml(figs.map((f) => f.title).join('; '))}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="bold">Smallworld vs stock ssb-server 16 (median, whiskers min–max)</text>`,
    `<text x="16" y="44" fill="#555">${escapeXml(caption)}</text>`,
    `<rect x="${width - 300}" y="12" width="12" height="12" fill="${colors.smallworld}"/><text x="${width - 282}" y="23">Smallworld</text>`,
    `<rect x="${width - 180}" y="12" width="12" height="12" fill="${colors.ssbServer}"/><text x="${width - 162}" y="23">ssb-server 16</text>`,
  ];
  figs.forEach((f, i) => {
    const y = top + i * rowHeight;
    const scaleMax = Math.max(f.smallworld?.max ?? 0, f.ssbServer?.max ?? 0) || 1;
    const x = (v: number) => labelWidth + (v / scaleMax) * barArea;
    out.push(`<line x1="16" y1="${y}" x2="${width - 16}" y2="${y}" stroke="#eee"/>`);
    out.push(`<text x="16" y="${y + 24}" font-weight="bold">${escapeXml(f.title)}</text>`);
    const sub = `${f.unit}, ${f.better} is better${f.ratio === null ? '' : ` · ratio ${fmt(f.ratio)}×`}`;
    out.push(`<text x="16" y="${y + 42}" fill="#555">${escapeXml(sub)}</text>`);
    (['smallworld', 'ssbServer'] as const).forEach((key, j) => {
      const s = f[key];
      const by = y + 12 + j * 22;
      if (!s) {
        out.push(`<text x="${labelWidth}" y="${by + 14}" fill="#a00">no data</text>`);
        return;
      }
      out.push(
        `<rect x="${labelWidth}" y="${by}" width="${Math.max(1, x(s.median) - labelWidth)}" height="16" fill="${colors[key]}"/>`,
      );
      out.push(
        `<line x1="${x(s.min)}" y1="${by + 8}" x2="${x(s.max)}" y2="${by + 8}" stroke="#000" stroke-width="1.5"/>`,
      );
      out.push(
        `<line x1="${x(s.min)}" y1="${by + 3}" x2="${x(s.min)}" y2="${by + 13}" stroke="#000" stroke-width="1.5"/>`,
      );
      out.push(
        `<line x1="${x(s.max)}" y1="${by + 3}" x2="${x(s.max)}" y2="${by + 13}" stroke="#000" stroke-width="1.5"/>`,
      );
      out.push(`<text x="${Math.max(x(s.max), x(s.median)) + 8}" y="${by + 13}">${escapeXml(fmt(s.median))}</text>`);
    });
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
