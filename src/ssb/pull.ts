// Bridges between pull-streams (what the SSB libraries speak) and promises / async iterables.
import pull from 'pull-stream';

export function collect<T>(source: pull.Source<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    pull(
      source,
      pull.collect<T>((err, items) => (err ? reject(err) : resolve(items))),
    );
  });
}

/** A pull source reading an async iterable (a Node Readable, a file handle's stream, a generator...). */
export function fromAsyncIterable(iterable: AsyncIterable<Uint8Array>): pull.Source<Buffer> {
  const iterator = iterable[Symbol.asyncIterator]();
  let finished = false;
  return (abort, cb) => {
    if (finished) return cb(abort || true);
    if (abort) {
      finished = true;
      // Let the producer release what it holds (e.g. close a file) before we report the end.
      Promise.resolve(iterator.return?.()).then(
        () => cb(abort),
        () => cb(abort),
      );
      return;
    }
    iterator.next().then(
      (result) => {
        if (result.done) {
          finished = true;
          cb(true);
        } else {
          cb(null, Buffer.from(result.value));
        }
      },
      (error: unknown) => {
        finished = true;
        cb(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };
}
