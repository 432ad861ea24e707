// The peer's V8 heap sizes, from the memory the board has. Left to itself Node.js sizes the old generation
// from the RAM or the cgroup (271 MB of a 320 MB cgroup) and lets the heap grow far past its live data while
// nothing presses: in a 100,000-message catch-up inside 320 MB, 105 MB of heap for 45–60 MB live. A limit of
// 30 % of the board's memory (96 MB on a Zero 2 W) made V8 collect before growing: the peer's peak went from
// 249 to 189 MB in a loaded run, but an idle machine's faster catch-up still peaked at 202–213 MB (2 runs).
// 22.5 % (72 MB) brought those to 190–192 MB (2 runs side by side, same speed). Live data in that catch-up
// stays under 65 MB; bigger boards get more room.
//
// The young generation is the rest of the peak: V8 lets each semi-space grow to 16 MB, and a catch-up's
// short-lived buffers and records keep it there. 4 MB semi-spaces on a small board took the same catch-up's
// peak from 192–201 MB to 160–161 MB (settled 129–130 → 105–110 MB), at the same or better speed (more,
// smaller scavenges; 2 + 2 runs alternating, the bench's `--memory-limit 320`).
import { boardMemoryBytes } from '../ssb/memory-pressure.js';

export const MIN_HEAP_MB = 72;
export const MAX_HEAP_MB = 1024;
/** Boards below this size get small semi-spaces; bigger ones keep V8's default (16 MB). */
export const SMALL_BOARD_BYTES = 1024 * 1024 * 1024;
export const SMALL_BOARD_SEMI_SPACE_MB = 4;

/** Pure: the old generation's limit in MB for a board with `boardBytes` for programs. */
export function peerHeapMB(boardBytes: number): number {
  return Math.min(MAX_HEAP_MB, Math.max(MIN_HEAP_MB, Math.floor((boardBytes * 0.225) / 1e6)));
}

/** Pure: the semi-space limit in MB for a board with `boardBytes`, or null for V8's default. */
export function peerSemiSpaceMB(boardBytes: number): number | null {
  return boardBytes < SMALL_BOARD_BYTES ? SMALL_BOARD_SEMI_SPACE_MB : null;
}

/** Pure: the node options for the peer on such a board. */
export function peerHeapFlags(boardBytes: number): string[] {
  const semiSpace = peerSemiSpaceMB(boardBytes);
  return [
    `--max-old-space-size=${peerHeapMB(boardBytes)}`,
    ...(semiSpace === null ? [] : [`--max-semi-space-size=${semiSpace}`]),
  ];
}

/** The node options for the peer, but none that the options given already set (the user's choice). */
export function peerHeapOptions(
  execArgv: readonly string[],
  boardBytes: number = boardMemoryBytes(),
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const setByUser = (flag: string) => execArgv.some((a) => a.startsWith(flag)) || nodeOptions.includes(flag);
  return peerHeapFlags(boardBytes).filter((option) => !setByUser(option.slice(0, option.indexOf('='))));
}
