// What install would change: the plan's desired files against the disk as the probe read it, and the dry
// run's report of it. Pure: the same inputs give the same changes and the same lines.
import { posix } from 'node:path';
import { InstallError } from './errors.js';
import type { PathState } from './path-state.js';
import type { Desired } from './plan.js';

/** The disk under the desired paths, read after planning (probe.ts `readCurrentState`). */
export interface CurrentState {
  /** Each desired path as it is now. */
  paths: ReadonlyMap<string, PathState>;
  /** The ancestors of each desired path, up to the first that exists, and what each is. */
  dirs: ReadonlyMap<string, 'directory' | 'absent' | 'other'>;
}

export interface Change {
  desired: Desired;
  /** What the path holds now (absent, or a file or link to replace). */
  state: PathState;
}

export interface InstallDiff {
  changes: Change[];
  /** Directories to create for the changes, parents first. */
  dirsToCreate: string[];
}

export function sameAs(state: PathState, desired: Desired): boolean {
  if (desired.kind === 'symlink') return state.kind === 'symlink' && state.target === desired.target;
  return state.kind === 'file' && state.mode === desired.mode && state.bytes.equals(desired.bytes);
}

export function diffInstall(root: string, desired: readonly Desired[], current: CurrentState): InstallDiff {
  const changes: Change[] = [];
  for (const d of desired) {
    const state = current.paths.get(d.path);
    if (state === undefined) throw new Error(`${d.path} was not read before comparing`);
    if (state.kind === 'other')
      throw new InstallError(`${posix.join(root, d.path)} is ${state.description}; refusing to replace it`);
    if (!sameAs(state, d)) changes.push({ desired: d, state });
  }
  const dirsToCreate: string[] = [];
  for (const { desired: d } of changes) {
    for (const dir of missingDirs(root, posix.dirname(d.path), current.dirs))
      if (!dirsToCreate.includes(dir)) dirsToCreate.push(dir);
  }
  return { changes, dirsToCreate };
}

/** The directories missing up to `dir`, parents first; a file in the way is refused. */
export function missingDirs(
  root: string,
  dir: string,
  dirs: ReadonlyMap<string, 'directory' | 'absent' | 'other'>,
): string[] {
  const missing: string[] = [];
  for (let d = dir; d !== '/' && d !== '.'; d = posix.dirname(d)) {
    const kind = dirs.get(d);
    if (kind === undefined) throw new Error(`${d} was not read before comparing`);
    if (kind === 'absent') missing.unshift(d);
    else if (kind === 'other') throw new InstallError(`${posix.join(root, d)} is in the way: it should be a directory`);
    else break;
  }
  return missing;
}

export const NOTHING_TO_CHANGE = 'Nothing to change: Smallworld is installed as configured.';

/** What `install --dry-run` prints. */
export function dryRunLines(
  root: string,
  diff: InstallDiff,
  wifi: { path: string; willBeGenerated: boolean },
): string[] {
  const { changes, dirsToCreate } = diff;
  if (changes.length === 0 && dirsToCreate.length === 0) return [NOTHING_TO_CHANGE];
  const lines = [`Would change${root === '/' ? '' : ` (under ${root})`}:`];
  for (const dir of dirsToCreate) lines.push(`  mkdir   ${dir}`);
  if (wifi.willBeGenerated)
    lines.push(`  create  ${wifi.path}  (this device's network name and passphrase, generated)`);
  for (const { desired: d, state } of changes) {
    const verb = d.kind === 'symlink' ? 'link   ' : state.kind === 'absent' ? 'create ' : 'update ';
    lines.push(`  ${verb} ${d.path}${d.kind === 'symlink' ? ` -> ${d.target}` : ''}  (${d.why})`);
    if (d.kind === 'file' && state.kind === 'file') lines.push(...lineDiff(state.bytes, d.bytes));
  }
  lines.push('Nothing was changed (--dry-run).');
  return lines;
}

/** Lines removed and added, for --dry-run (good enough for config files; not a real diff). */
export function lineDiff(before: Buffer, after: Buffer): string[] {
  const a = before.toString('utf8').split('\n');
  const b = after.toString('utf8').split('\n');
  const inA = new Set(a);
  const inB = new Set(b);
  return [
    ...a.filter((line) => !inB.has(line)).map((line) => `      - ${line}`),
    ...b.filter((line) => !inA.has(line)).map((line) => `      + ${line}`),
  ];
}
