import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../store/atomic-file.js';
import { readTextIfPresent } from '../../store/missing.js';

export const GUEST_VIEW_FILE = 'guest-view.json';

export class GuestViewSetting {
  private enabled = true;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    const text = await readTextIfPresent(this.path);
    if (text === null) return;
    try {
      const parsed = JSON.parse(text) as { enabled?: unknown };
      if (typeof parsed.enabled !== 'boolean') throw new Error('no "enabled" true or false');
      this.enabled = parsed.enabled;
    } catch (error) {
      this.enabled = false;
      this.logger.log('warn', 'guest view switched off: its setting file is damaged', {
        file: this.path,
        error: (error as Error).message,
      });
    }
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  async set(enabled: boolean): Promise<void> {
    await writeFileAtomic(this.path, `${JSON.stringify({ enabled })}\n`, { mode: 0o600 });
    this.enabled = enabled;
  }
}
