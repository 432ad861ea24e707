// How the long-running commands stop: on SIGTERM or SIGINT, within a bound.
import type { Logger } from '../log/logger.js';

export function waitForSignal(logger: Logger, stop: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      logger.log('info', 'stopping', { signal });
      // A clean stop is bounded: past this, exit anyway rather than linger half-stopped.
      setTimeout(() => process.exit(0), 10_000).unref();
      void stop().finally(resolve);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  });
}
