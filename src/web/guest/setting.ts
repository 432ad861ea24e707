// The owner's switch for the guest view (Wi-Fi page), kept in DATA/peer/guest-view.json so it survives a
// restart. On by default: a visitor on the device's own network is the point of the access point. A file
// that cannot be read as the switch leaves the guest view off (safe) and says so in the log.
import { readFile } from 'node:fs/promises';
import type { Logger } from '../../log/logger.js';
import { writeFileAtomic } from '../../store/atomic-file.js';

export const GUEST_VIEW_FILE = 'guest-view.json';

export class GuestViewSetting {
  private enabled = true;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
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
    await writeFileAtomic(this.path, `${JSON.stringify({ enabled })}\n`, 0o600);
    this.enabled = enabled;
  }
}
