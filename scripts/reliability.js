#!/usr/bin/env node
// `npm run test:reliability`: the churn soak, power-loss and hostile-input suites (test/reliability),
// then the figures they recorded. Durations: SW_SOAK_SECONDS, SW_DAEMON_KILLS, SW_POWER_LOSS_KILLS.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';

rmSync(resolve(process.env.SW_FIGURES_FILE ?? '.reliability/figures.jsonl'), { force: true });
const run = spawnSync(process.execPath, ['scripts/run-tests.js', 'reliability'], { stdio: 'inherit' });
spawnSync(process.execPath, ['scripts/reliability-report.js'], { stdio: 'inherit' });
process.exit(run.status ?? 1);
