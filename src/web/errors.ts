// Every error a route throws, answered as `{ error }` with the status that says what went wrong: bad input
// 400, the daemon's refusals by their code, the daemon not running 503, the card full 507, a photo too large
// 413; anything else is a 500 that is logged and says no more.
import type { FastifyInstance } from 'fastify';
import { DaemonNotRunningError, RemoteError } from '../control/client.js';
import type { LogSink } from '../log/logger.js';
import { InvalidPolicy } from '../ssb/auto-follow.js';
import { asStorageError, isStorageFull } from '../storage/errors.js';
import { formatBinaryBytes } from '../storage/format-bytes.js';
import { InvalidInput } from './inputs.js';

/** A refusal with its HTTP status, thrown by a route. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Daemon error codes as HTTP statuses: bad input 400, not a simulator 404, refused in this state 409. */
const HTTP_OF: Record<string, number> = { bad_request: 400, bad_json: 400, not_simulated: 404 };

export function answerErrors(
  app: FastifyInstance,
  options: { logger: LogSink; largestPhotoBytes: () => number },
): void {
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    let status: number;
    let message = error.message;
    if (error instanceof HttpError) status = error.status;
    else if (error instanceof InvalidInput || error instanceof InvalidPolicy) status = 400;
    else if (error instanceof RemoteError) status = HTTP_OF[error.code] ?? 409;
    else if (error instanceof DaemonNotRunningError) {
      status = 503;
      message = 'the connectivity daemon is not running';
    } else if (isStorageFull(error)) {
      // "the device's storage is full: the photo (3.0 MB) was not stored; …", as the CLI says it.
      status = 507;
      message = asStorageError(error).message;
    } else if (error.code === 'FST_REQ_FILE_TOO_LARGE') {
      status = 413;
      message = `the photo is too large: at most ${formatBinaryBytes(options.largestPhotoBytes())}`;
    } else if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
      status = error.statusCode;
    } else {
      status = 500;
      options.logger.log('error', 'web request failed', { error: error.message });
      message = 'internal error (see the peer log)';
    }
    return reply.code(status).send({ error: message });
  });
}
