// The card's figures the daemon's status shows: read at each status request and every few seconds between
// them; a failed read keeps the last figures (and says so), a change of state is logged once.
import type { LogSink } from '../log/logger.js';
import type { StorageReport } from '../storage/budget.js';
import { StorageMonitor } from '../storage/space.js';

/** How often the storage figures are read again between status requests. */
const STORAGE_POLL_MS = 10_000;

export class StorageFigures {
  report: StorageReport = { usedBytes: 0, freeBytes: 0, budgetBytes: 0, state: 'ok' };
  private readonly monitor: StorageMonitor;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    options: { dataDir: string; reserveBytes: number | undefined },
    private readonly logger: LogSink,
  ) {
    this.monitor = new StorageMonitor({
      dir: options.dataDir,
      reserveBytes: options.reserveBytes,
      usageMaxAgeMs: 5000,
    });
  }

  /** Reads the figures now, then every STORAGE_POLL_MS. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), STORAGE_POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Reads the card's figures; a failure keeps the last ones (and says so once per failure). */
  async refresh(): Promise<void> {
    try {
      const report = await this.monitor.report();
      if (report.state !== this.report.state) {
        this.logger.log(report.state === 'ok' ? 'info' : 'warn', 'storage', { ...report });
      }
      this.report = report;
    } catch (error) {
      this.logger.log('warn', 'cannot read the storage figures', { error: (error as Error).message });
    }
  }
}
