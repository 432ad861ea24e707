#!/usr/bin/env node
// Prints the figures the reliability suites recorded (see test/helpers/figures.ts), newest run per suite,
// as the closing lines of `npm run test:reliability`.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { commandLine } from './lib/command-line.js';

commandLine(`usage: node scripts/reliability-report.js

Prints the newest figures of each reliability suite from SW_FIGURES_FILE (default .reliability/figures.jsonl).`);

const file = resolve(process.env.SW_FIGURES_FILE ?? '.reliability/figures.jsonl');
if (!existsSync(file)) {
  console.log(`no reliability figures recorded (${file})`);
  process.exit(0);
}
const latest = new Map();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  try {
    const record = JSON.parse(line);
    latest.set(record.suite, record);
  } catch {
    // a line cut off by a killed run
  }
}
console.log('\n== Reliability figures ==');
for (const [suite, record] of latest) {
  const { suite: _s, at, curves, ...figures } = record;
  console.log(`${suite} (${at}):`);
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key}: ${JSON.stringify(value)}`);
  if (Array.isArray(curves)) console.log(`  curves: ${curves.length} samples in ${file}`);
}
