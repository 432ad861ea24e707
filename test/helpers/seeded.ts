// A small seeded generator (mulberry32): the reliability suites repeat a failing run exactly, the benchmark
// generates the same fixtures and the town lab the same posting schedule on every run and machine.
// Enough for those, not for secrets.
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
