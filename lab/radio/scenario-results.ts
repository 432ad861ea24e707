// The radio labs' scenarios: each runs, is timed and printed as PASS or FAIL, and the run ends with a summary
// the host prints (run.sh reads $LAB_OUT/summary) and an exit code.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { log } from './lab-devices.js';

export type ScenarioResult = { name: string; ok: boolean; seconds: number; error?: string };

export class ScenarioResults {
  private readonly results: ScenarioResult[] = [];

  /** Runs one scenario; a failure is recorded and printed, never thrown, so the next scenario runs. */
  async run(name: string, fn: () => Promise<void>): Promise<void> {
    const started = Date.now();
    const seconds = () => (Date.now() - started) / 1000;
    log(`--- ${name}`);
    try {
      await fn();
      this.record({ name, ok: true, seconds: seconds() });
      console.log(`PASS ${name} (${seconds().toFixed(1)}s)`);
    } catch (error) {
      const message = (error as Error).message;
      this.record({ name, ok: false, seconds: seconds(), error: message });
      console.log(`FAIL ${name} (${seconds().toFixed(1)}s): ${message}`);
    }
  }

  record(result: ScenarioResult): void {
    this.results.push(result);
  }

  /** Appends every scenario's line to OUT/summary, prints the count and sets the exit code. */
  finish(outDir: string): void {
    const failed = this.results.filter((r) => !r.ok);
    appendFileSync(
      join(outDir, 'summary'),
      `${this.results.map((r) => `${r.ok ? 'PASS' : 'FAIL'} ${r.name} (${r.seconds.toFixed(1)}s)${r.error ? `: ${r.error}` : ''}`).join('\n')}\n`,
    );
    console.log(`${this.results.length - failed.length} passed, ${failed.length} failed`);
    process.exitCode = failed.length === 0 ? 0 : 1;
  }
}
