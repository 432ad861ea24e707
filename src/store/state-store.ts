// Where the device keeps what must survive a crash or reboot: the mode and the WPS key policy.
// The file is replaced atomically and the previous good copy is kept beside it, so a file damaged
// by hand (or by a failing SD card) falls back to the last good state instead of a factory reset.
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { PersistedState } from '../device/model.js';
import { writeFileAtomic } from './atomic-file.js';

const persistedSchema = z.object({
  version: z.literal(1),
  mode: z.enum(['ap', 'client']),
  keys: z.object({
    oneTime: z.boolean(),
    trusted: z.array(z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)).max(256),
  }),
});

export interface LoadResult {
  persisted: PersistedState | null;
  /** Set when a file was unreadable: what happened and what was used instead. */
  warning?: string;
}

export interface StateStore {
  load(): Promise<LoadResult>;
  save(persisted: PersistedState): Promise<void>;
}

export class FileStateStore implements StateStore {
  readonly path: string;
  readonly backupPath: string;
  private lastSaved: string | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'state.json');
    this.backupPath = join(dataDir, 'state.json.bak');
  }

  async load(): Promise<LoadResult> {
    const primary = await readState(this.path);
    if (primary.ok) {
      this.lastSaved = JSON.stringify(primary.value);
      return { persisted: primary.value };
    }
    if (primary.reason === 'missing') {
      const backup = await readState(this.backupPath);
      return backup.ok
        ? { persisted: backup.value, warning: `${this.path} is missing; restored from ${this.backupPath}` }
        : { persisted: null };
    }
    // Keep the damaged file for inspection rather than overwrite the evidence.
    const kept = `${this.path}.corrupt-${Date.now()}`;
    await rename(this.path, kept).catch(() => undefined);
    const backup = await readState(this.backupPath);
    if (backup.ok) {
      return {
        persisted: backup.value,
        warning: `${this.path} is unreadable (${primary.reason}); kept it as ${kept} and restored the previous state from ${this.backupPath}`,
      };
    }
    return {
      persisted: null,
      warning: `${this.path} is unreadable (${primary.reason}) and there is no good backup; kept it as ${kept} and started with defaults`,
    };
  }

  async save(persisted: PersistedState): Promise<void> {
    const text = JSON.stringify(persistedSchema.parse(persisted));
    if (text === this.lastSaved) return;
    if (this.lastSaved !== null) await writeFileAtomic(this.backupPath, `${this.lastSaved}\n`);
    await writeFileAtomic(this.path, `${text}\n`);
    this.lastSaved = text;
  }
}

type ReadResult = { ok: true; value: PersistedState } | { ok: false; reason: string };

async function readState(path: string): Promise<ReadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: false, reason: 'missing' };
    return { ok: false, reason: (error as Error).message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not valid JSON' };
  }
  const parsed = persistedSchema.safeParse(json);
  if (!parsed.success)
    return { ok: false, reason: `unexpected content: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, value: parsed.data };
}

export class MemoryStateStore implements StateStore {
  saved: PersistedState | null;
  constructor(initial: PersistedState | null = null) {
    this.saved = initial;
  }
  async load(): Promise<LoadResult> {
    return { persisted: this.saved };
  }
  async save(persisted: PersistedState): Promise<void> {
    this.saved = structuredClone(persisted);
  }
}
