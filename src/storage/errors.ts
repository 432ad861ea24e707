// One clear answer when the card is full. The file system says ENOSPC (or EDQUOT under a quota); the owner
// reads "the device's storage is full", from the CLI, the web page and the logs alike.

export const STORAGE_FULL = "the device's storage is full";

export class StorageFullError extends Error {
  readonly code = 'ENOSPC';

  constructor(detail?: string, options?: { cause?: unknown }) {
    super(detail ? `${STORAGE_FULL}: ${detail}` : STORAGE_FULL, options);
  }
}
// Set on the prototype so that the stack's first line, captured while constructing, names it too.
StorageFullError.prototype.name = 'StorageFullError';

const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT']);

/**
 * Whether an error means "no space left". Also true for an error wrapped by clarify-error (multiblob's
 * "could not write to tmpfile"), which keeps only the inner error's stack text, not the error itself.
 */
export function isStorageFull(error: unknown): boolean {
  if (error instanceof StorageFullError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const { code, stack, cause } = error as { code?: unknown; stack?: unknown; cause?: unknown };
  if (typeof code === 'string' && NO_SPACE_CODES.has(code)) return true;
  if (typeof stack === 'string' && (stack.includes(STORAGE_FULL) || /\bENOSPC\b/.test(stack))) return true;
  return cause !== undefined && cause !== error && isStorageFull(cause);
}

/** The same error, or a StorageFullError carrying it when it means the disk is full. */
export function asStorageError(error: unknown, detail?: string): Error {
  if (error instanceof StorageFullError) return error;
  if (isStorageFull(error)) return new StorageFullError(detail, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}
