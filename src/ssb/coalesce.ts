// Joins the small buffers a pull-stream produces within one turn of the event loop into one. Between muxrpc
// and the socket, secret-handshake's box stream encrypts every packet on its own (two secretbox calls, a
// 34-byte header) and hands header and body to the socket as two writes: replicating one message cost two
// write syscalls on the sender, two decryptions and two reads on the receiver (profiled: a third of the
// sender's CPU per message). Joined, a burst of messages becomes a few 4 KiB box frames and one write.
// Nothing waits longer than the current turn: what arrives is passed on at the next setImmediate at the
// latest, or at once when `maxBytes` are gathered or the source ends.

export type End = Error | true | null;
export type Callback<T> = (end: End, data?: T) => void;
export type Read<T> = (end: End, cb: Callback<T>) => void;
export type Through<T> = (read: Read<T>) => Read<T>;

export function coalesceBuffers(
  maxBytes: number,
  defer: (run: () => void) => void = setImmediate,
): Through<Buffer | string> {
  if (!(maxBytes > 0)) throw new RangeError('maxBytes must be positive');
  return (read) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let upstreamEnd: End = null;
    let reading = false;
    let flushDue = false;
    // The turn in which the gathered chunks arrived is over: they may go.
    let ready = false;
    let waiting: Callback<Buffer> | null = null;

    const deliver = () => {
      const cb = waiting;
      if (!cb) return;
      if (size > 0 && (ready || size >= maxBytes || upstreamEnd !== null)) {
        waiting = null;
        const out = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        chunks.length = 0;
        size = 0;
        ready = false;
        cb(null, out);
      } else if (size === 0 && upstreamEnd !== null) {
        waiting = null;
        cb(upstreamEnd);
      }
    };

    const schedule = () => {
      if (flushDue) return;
      flushDue = true;
      defer(() => {
        flushDue = false;
        if (size > 0) ready = true;
        deliver();
        fill();
      });
    };

    const accept = (end: End, data?: Buffer | string) => {
      if (end) {
        upstreamEnd = end;
        return;
      }
      // The box stream takes strings as UTF-8 and skips empty chunks; so does this.
      const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
      if (!chunk || chunk.length === 0) return;
      chunks.push(chunk);
      size += chunk.length;
      schedule();
    };

    // Reads ahead while the source answers at once, up to maxBytes; an answer that comes later goes on from there.
    const fill = (): void => {
      while (!reading && upstreamEnd === null && size < maxBytes) {
        let sync = true;
        let answered = false;
        reading = true;
        read(null, (end, data) => {
          reading = false;
          answered = true;
          accept(end, data);
          if (!sync) {
            deliver();
            fill();
          }
        });
        sync = false;
        if (!answered) return;
      }
      deliver();
    };

    return (abort, cb) => {
      if (abort) {
        chunks.length = 0;
        size = 0;
        const pending = waiting;
        waiting = null;
        pending?.(abort);
        if (upstreamEnd === null) upstreamEnd = abort;
        read(abort, cb as Callback<Buffer | string>);
        return;
      }
      if (waiting) {
        cb(new Error('coalesceBuffers: read while a read is pending'));
        return;
      }
      waiting = cb as Callback<Buffer>;
      fill();
    };
  };
}
