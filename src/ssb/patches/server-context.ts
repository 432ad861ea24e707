import type { LogSink } from '../../log/logger.js';
import type { SsbServer } from '../libraries.js';

/** What a patch to one assembled server is given. */
export interface ServerPatchContext {
  ssb: SsbServer;
  logger: LogSink;
  /** The TCP port we listen on, and whether on every interface (then we choose the address announced). */
  port: number;
  wildcard: boolean;
}
