// A pull-stream sink that writes a file and calls back success only when every byte is on the disk.
//
// It replaces pull-write-file 0.2.4 where multiblob (ssb-blobs' store) writes a blob's temporary file
// (src/ssb/patches/multiblob-durable-write.ts). That version has two bugs that put photos on a full SD card
// under their hash with the wrong bytes: a failed fs.write's error is dropped (it aborts the source and calls
// back with the result of fs.close, i.e. success), and a short write is taken as complete (the position moves
// by what was written and the rest of the chunk is never written). multiblob then renames the truncated
// file into place and reports the blob stored. For upstream (github.com/pull-stream/pull-write-file, not
// reachable from where this was written; to be filed by whoever can): "0.2.4: a failed fs.write calls back
// the result of fs.close (success), and a short write skips the rest of its chunk".
//
// Here: every chunk is written in full (short writes continue where they stopped), the first error ends the
// write, aborts the source and removes the temporary file, ENOSPC becomes a StorageFullError, and success
// is answered only after fsync and close.
import * as fs from 'node:fs';
import { asStorageError } from './errors.js';

type Callback<T = void> = (err: NodeJS.ErrnoException | null, value?: T) => void;

/** The file-system calls the sink makes, callback style as node:fs (tests pass a stub that fails). */
export interface WriteFs {
  open(path: string, flags: string, mode: number, cb: Callback<number>): void;
  write(fd: number, buffer: Buffer, offset: number, length: number, position: number, cb: Callback<number>): void;
  fsync(fd: number, cb: Callback): void;
  close(fd: number, cb: Callback): void;
  unlink(path: string, cb: Callback): void;
}

export const nodeWriteFs: WriteFs = {
  open: (path, flags, mode, cb) => fs.open(path, flags, mode, cb),
  write: (fd, buffer, offset, length, position, cb) => fs.write(fd, buffer, offset, length, position, cb),
  fsync: (fd, cb) => fs.fsync(fd, cb),
  close: (fd, cb) => fs.close(fd, cb),
  unlink: (path, cb) => fs.unlink(path, cb),
};

/** pull-stream's source: `read(end, cb)`; `end` true ends, an error aborts. */
type Source = (end: Error | boolean | null, cb: (end: Error | boolean | null, data?: unknown) => void) => void;

export interface WriteOptions {
  flags?: string;
  mode?: number;
}

/** Decides, before a file under a directory is opened, whether it may be written (null: yes). */
export type WriteGate = (path: string) => Error | null;

const gates = new Map<string, WriteGate>();

/**
 * Files written under `dir` are first put to `gate` (the storage budget pausing photos from friends when
 * the card is full). Returns the function that removes it.
 */
export function setWriteGate(dir: string, gate: WriteGate): () => void {
  const key = dir.endsWith('/') ? dir : `${dir}/`;
  gates.set(key, gate);
  return () => {
    if (gates.get(key) === gate) gates.delete(key);
  };
}

function gateFor(path: string): WriteGate | undefined {
  for (const [dir, gate] of gates) if (path.startsWith(dir)) return gate;
  return undefined;
}

export type WriteFileSink = (
  path: string,
  options: WriteOptions | null | ((err: Error | null) => void),
  cb?: (err: Error | null) => void,
) => (read: Source) => void;

/** pull-write-file's signature, `(path, opts?, cb) => sink`, with the behaviour described above. */
export function createWriteFileSink(files: WriteFs = nodeWriteFs): WriteFileSink {
  return (path, optionsOrCb, maybeCb) => {
    const cb = typeof optionsOrCb === 'function' ? optionsOrCb : maybeCb;
    const options = typeof optionsOrCb === 'function' ? null : optionsOrCb;
    if (typeof cb !== 'function') throw new TypeError('write-file sink needs a callback');
    const flags = options?.flags ?? 'w';
    const mode = options?.mode ?? 0o666;
    return (read) => {
      const refused = gateFor(path)?.(path) ?? null;
      if (refused) {
        read(refused, () => cb(refused));
        return;
      }
      files.open(path, flags, mode, (openErr, fd) => {
        if (openErr || fd === undefined) {
          const error = asStorageError(openErr ?? new Error(`could not open ${path}`));
          read(error, () => cb(error));
          return;
        }
        let position = 0;
        let answered = false;
        const answer = (err: Error | null) => {
          if (answered) return;
          answered = true;
          cb(err);
        };
        // Whatever went wrong, the partial file goes: a truncated temporary file is what must never be kept.
        const discard = (error: Error) =>
          files.close(fd, () => files.unlink(path, () => answer(asStorageError(error, 'a file could not be written'))));

        const writeAll = (chunk: Buffer, offset: number, done: (err: Error | null) => void): void => {
          if (offset >= chunk.length) {
            done(null);
            return;
          }
          files.write(fd, chunk, offset, chunk.length - offset, position, (err, written) => {
            if (err) return done(err);
            if (!written || written < 0) {
              // A write that makes no progress would loop for ever; the kernel does this only when full.
              return done(Object.assign(new Error('a write made no progress'), { code: 'ENOSPC' }));
            }
            position += written;
            writeAll(chunk, offset + written, done);
          });
        };

        const next = (end: Error | boolean | null, data?: unknown): void => {
          if (end === true) {
            files.fsync(fd, (syncErr) => {
              if (syncErr) return discard(syncErr);
              files.close(fd, (closeErr) => {
                if (closeErr) files.unlink(path, () => answer(asStorageError(closeErr)));
                else answer(null);
              });
            });
            return;
          }
          if (end) {
            // The source failed (or was aborted): it has ended, so it is not read again.
            discard(end instanceof Error ? end : new Error(String(end)));
            return;
          }
          const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
          writeAll(chunk, 0, (err) => {
            if (!err) {
              read(null, next);
              return;
            }
            // Abort the source first (it may hold a connection to a peer), then clean up and answer.
            read(err, () => discard(err));
          });
        };
        read(null, next);
      });
    };
  };
}
