// "No such file" is an answer, not a failure: a file we have not written yet, a device not plugged in.
// Every other error (permissions, I/O) is still thrown.
import { readFile } from 'node:fs/promises';

/** Whether an error from the file system means the path does not exist (ENOENT). */
export function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** The operation's result, or null when the path does not exist; other errors are thrown. */
export async function unlessMissing<T>(operation: Promise<T>): Promise<T | null> {
  try {
    return await operation;
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** The file's text, or null when there is no such file. */
export function readTextIfPresent(path: string): Promise<string | null> {
  return unlessMissing(readFile(path, 'utf8'));
}
