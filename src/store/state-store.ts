// Where the device keeps what must survive a crash or reboot: the mode and the WPS key policy.
import { join } from 'node:path';
import * as z from 'zod';
import type { PersistedState } from '../device/model.js';
import { JsonFile } from './json-file.js';

const persistedSchema = z.object({
  version: z.literal(1),
  mode: z.enum(['ap', 'client']),
  keys: z.object({
    oneTime: z.boolean(),
    trusted: z.array(z.string().regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/)).max(256),
  }),
  wps: z.object({ autoRole: z.boolean() }).optional(),
});

export interface LoadResult {
  persisted: PersistedState | null;
  warning?: string;
}

export interface StateStore {
  load(): Promise<LoadResult>;
  save(persisted: PersistedState): Promise<void>;
}

export class FileStateStore implements StateStore {
  private readonly file: JsonFile<PersistedState>;

  constructor(dataDir: string) {
    this.file = new JsonFile(join(dataDir, 'state.json'), persistedSchema);
  }

  get path(): string {
    return this.file.path;
  }

  async load(): Promise<LoadResult> {
    const { value, warning } = await this.file.load();
    return warning === undefined ? { persisted: value } : { persisted: value, warning };
  }

  save(persisted: PersistedState): Promise<void> {
    return this.file.save(persisted);
  }
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
