// The peer's memory kept within a small board's: garbage collected after a burst of messages
// (collect-after-burst.ts) and before a long transfer outgrows the board (memory-pressure.ts), and peers read
// from only while the log keeps up with writing what they sent (inbound-gate.ts).
import { CollectAfterBurst, exposedGc } from './collect-after-burst.js';
import { inboundGate, LogBacklog } from './inbound-gate.js';
import type { SsbServer } from './libraries.js';
import { boardMemoryBytes, PressureCollector, softLimitFor } from './memory-pressure.js';

export interface MemoryCare {
  /** One message appended to the log. */
  stored(): void;
  stop(): void;
}

export function startMemoryCare(ssb: SsbServer): MemoryCare {
  const collector = new CollectAfterBurst(exposedGc());
  const pressure = new PressureCollector(exposedGc(), { softLimitBytes: softLimitFor(boardMemoryBytes()) });
  pressure.start();
  const log = ssb.db.getLog();
  const backlog = new LogBacklog(inboundGate, (cb) => log.onDrain(cb));
  return {
    stored() {
      collector.added();
      backlog.stored1();
    },
    stop() {
      collector.stop();
      pressure.stop();
      backlog.stop();
    },
  };
}
