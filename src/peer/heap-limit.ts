// The peer's V8 heap limit, from the memory the board has. Left to itself Node.js sizes the old generation
// from the RAM or the cgroup (271 MB of a 320 MB cgroup) and lets the heap grow far past its live data while
// nothing presses: in a 100,000-message catch-up inside 320 MB, 105 MB of heap for 45–60 MB live. A limit of
// 30 % of the board's memory (96 MB on a Zero 2 W) made V8 collect before growing: the peer's peak went from
// 249 to 189 MB in a loaded run, but an idle machine's faster catch-up still peaked at 202–213 MB (2 runs).
// 22.5 % (72 MB) brought those to 190–192 MB (2 runs side by side, same speed). Live data in that catch-up
// stays under 65 MB; bigger boards get more room.
import { boardMemoryBytes } from '../ssb/memory-pressure.js';

export const MIN_HEAP_MB = 72;
export const MAX_HEAP_MB = 1024;

/** Pure: the old generation's limit in MB for a board with `boardBytes` for programs. */
export function peerHeapMB(boardBytes: number): number {
  return Math.min(MAX_HEAP_MB, Math.max(MIN_HEAP_MB, Math.floor((boardBytes * 0.225) / 1e6)));
}

/** The node option for the peer, unless the options given already set a limit (the user's choice). */
export function peerHeapOptions(execArgv: readonly string[], boardBytes: number = boardMemoryBytes()): string[] {
  if (execArgv.some((a) => a.startsWith('--max-old-space-size'))) return [];
  if ((process.env.NODE_OPTIONS ?? '').includes('--max-old-space-size')) return [];
  return [`--max-old-space-size=${peerHeapMB(boardBytes)}`];
}
