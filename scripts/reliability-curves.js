#!/usr/bin/env node
// Draws the churn soak's resource curves (resident memory and open file descriptors of every daemon and
// peer process over time) from the figures file as one SVG. Usage:
//   node scripts/reliability-curves.js [figures.jsonl] [out.svg]
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { commandLine, usageError } from './lib/command-line.js';

const USAGE = `usage: node scripts/reliability-curves.js [figures.jsonl] [out.svg]

Draws the churn soak's memory and file-descriptor curves as SVG (defaults: .reliability/figures.jsonl,
docs/images/soak-curves.svg).`;
const { positionals } = commandLine(USAGE, { allowPositionals: true });
if (positionals.length > 2) usageError(USAGE, 'at most two arguments');
const [input = '.reliability/figures.jsonl', output = 'docs/images/soak-curves.svg'] = positionals;
if (!existsSync(input)) usageError(USAGE, `no figures file at ${input} (run npm run test:reliability first)`);
let soak = null;
for (const line of readFileSync(input, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  try {
    const record = JSON.parse(line);
    if (record.suite === 'churn-soak') soak = record;
  } catch {
    // a cut-off line
  }
}
if (!soak?.curves?.length) {
  console.error(`no churn-soak curves in ${input}`);
  process.exit(1);
}

const W = 900;
const H = 260;
const M = { left: 56, right: 16, top: 28, bottom: 34 };
const escapeXml = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

function panel(key, title, unit, yOffset) {
  const points = soak.curves;
  const series = new Map();
  for (const p of points) {
    for (const [name, value] of Object.entries(p[key])) {
      if (!series.has(name)) series.set(name, []);
      series.get(name).push([p.t, value]);
    }
  }
  const tMax = Math.max(1, ...points.map((p) => p.t));
  const vMax = Math.max(1, ...[...series.values()].flat().map(([, v]) => v)) * 1.1;
  const x = (t) => M.left + (t / tMax) * (W - M.left - M.right);
  const y = (v) => yOffset + M.top + (1 - v / vMax) * (H - M.top - M.bottom);
  const out = [];
  out.push(`<text x="${M.left}" y="${yOffset + 18}" font-size="14" font-weight="bold">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (vMax * i) / 4;
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${y(v) + 4}" font-size="11" text-anchor="end">${Math.round(v)}${unit}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const t = (tMax * i) / 5;
    out.push(`<text x="${x(t)}" y="${yOffset + H - 14}" font-size="11" text-anchor="middle">${Math.round(t)} s</text>`);
  }
  for (const [name, values] of series) {
    const colour = name.endsWith('.peer') ? '#c0392b' : '#2471a3';
    const d = values.map(([t, v], i) => `${i ? 'L' : 'M'}${x(t).toFixed(1)},${y(v).toFixed(1)}`).join('');
    out.push(
      `<path d="${d}" fill="none" stroke="${colour}" stroke-opacity="0.55" stroke-width="1.4"><title>${escapeXml(name)}</title></path>`,
    );
  }
  return out.join('\n');
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 30}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${panel('rssMiB', `Resident memory during the ${soak.seconds} s churn soak (10 devices; red: SSB peer + web, blue: connectivity daemon)`, ' MiB', 0)}
${panel('fds', 'Open file descriptors', '', H)}
<text x="${M.left}" y="${2 * H + 22}" font-size="11">${escapeXml(`seed ${soak.seed}; ${soak.linkCuts} link cuts; ${soak.messagesPublished} messages and ${soak.photosPublished} photos published; lost: ${soak.messagesLost} messages, ${soak.photosLost} photos`)}</text>
</svg>
`;
writeFileSync(output, svg);
console.log(`wrote ${output} (${soak.curves.length} samples)`);
