// Figures a reliability run reports (messages lost, kill points tried, inputs tried, curves): each test
// appends one JSON line to a file that scripts/reliability-report.js prints at the end of the run.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export const FIGURES_FILE = resolve(process.env.SW_FIGURES_FILE ?? '.reliability/figures.jsonl');

export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  mkdirSync(dirname(FIGURES_FILE), { recursive: true });
  appendFileSync(FIGURES_FILE, `${JSON.stringify({ suite, at: new Date().toISOString(), ...figures })}\n`);
  // Series (curves) go to the file only; the console gets the scalar figures.
  const scalars = Object.fromEntries(Object.entries(figures).filter(([, v]) => !Array.isArray(v)));
  console.log(`${suite}: ${JSON.stringify(scalars)}`);
}
