// A JSON document on disk that survives crashes and bad edits: replaced atomically, validated on load,
// and backed by the previous good copy. A damaged file is kept aside for inspection, never overwritten.
import { readFile, rename } from 'node:fs/promises';
import type * as z from 'zod';
import { writeFileAtomic } from './atomic-file.js';
import { isMissing } from './missing.js';

export interface JsonLoad<T> {
  value: T | null;
  /** Set when a file was unreadable: what happened and what was used instead. */
  warning?: string;
}

export class JsonFile<T> {
  readonly backupPath: string;
  private lastSaved: string | null = null;

  constructor(
    readonly path: string,
    private readonly schema: z.ZodType<T>,
    private readonly mode = 0o600,
  ) {
    this.backupPath = `${path}.bak`;
  }

  async load(): Promise<JsonLoad<T>> {
    const primary = await this.read(this.path);
    if (primary.ok) {
      this.lastSaved = JSON.stringify(primary.value);
      return { value: primary.value };
    }
    if (primary.reason === 'missing') {
      const backup = await this.read(this.backupPath);
      return backup.ok
        ? { value: backup.value, warning: `${this.path} is missing; restored from ${this.backupPath}` }
        : { value: null };
    }
    const kept = `${this.path}.corrupt-${Date.now()}`;
    await rename(this.path, kept).catch(() => undefined);
    const backup = await this.read(this.backupPath);
    if (backup.ok) {
      return {
        value: backup.value,
        warning: `${this.path} is unreadable (${primary.reason}); kept it as ${kept} and restored the previous state from ${this.backupPath}`,
      };
    }
    return {
      value: null,
      warning: `${this.path} is unreadable (${primary.reason}) and there is no good backup; kept it as ${kept} and started with defaults`,
    };
  }

  /** The value load() would give, read only: nothing set aside, nothing remembered (for a dry run or a plan). */
  async peek(): Promise<T | null> {
    const primary = await this.read(this.path);
    if (primary.ok) return primary.value;
    const backup = await this.read(this.backupPath);
    return backup.ok ? backup.value : null;
  }

  async save(value: T): Promise<void> {
    const text = JSON.stringify(this.schema.parse(value));
    if (text === this.lastSaved) return;
    if (this.lastSaved !== null) await writeFileAtomic(this.backupPath, `${this.lastSaved}\n`, { mode: this.mode });
    await writeFileAtomic(this.path, `${text}\n`, { mode: this.mode });
    this.lastSaved = text;
  }

  private async read(path: string): Promise<{ ok: true; value: T } | { ok: false; reason: string }> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if (isMissing(error)) return { ok: false, reason: 'missing' };
      return { ok: false, reason: (error as Error).message };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { ok: false, reason: 'not valid JSON' };
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return {
        ok: false,
        reason: `unexpected content at ${issue?.path.join('.') || 'top'}: ${issue?.message ?? 'invalid'}`,
      };
    }
    return { ok: true, value: parsed.data };
  }
}
