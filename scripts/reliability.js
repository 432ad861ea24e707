#!/usr/bin/env node
// `npm run test:reliability`: the churn soak, power-loss and hostile-input suites (test/reliability),
// then the figures they recorded. Durations: SW_SOAK_SECONDS, SW_DAEMON_KILLS, SW_POWER_LOSS_KILLS.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { commandLine } from './lib/command-line.js';

commandLine(`usage: node scripts/reliability.js   (npm run test:reliability; needs root, after npm run build)

Runs test/reliability (the churn soak, power cuts, hostile inputs, the security review), then prints the
figures they recorded. Durations come from the environment: SW_SOAK_SECONDS, SW_DAEMON_KILLS,
SW_POWER_LOSS_KILLS; SW_FIGURES_FILE (default .reliability/figures.jsonl).`);

rmSync(resolve(process.env.SW_FIGURES_FILE ?? '.reliability/figures.jsonl'), { force: true });
const run = spawnSync(process.execPath, ['scripts/run-tests.js', 'reliability'], { stdio: 'inherit' });
spawnSync(process.execPath, ['scripts/reliability-report.js'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
