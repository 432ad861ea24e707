// A Node-style callback API as a promise (the SSB libraries answer by callback).
export function callback<T = void>(run: (cb: (err: Error | null, value?: T) => void) => void): Promise<T | undefined> {
  return new Promise((resolve, reject) => run((err, value) => (err ? reject(err) : resolve(value))));
}
