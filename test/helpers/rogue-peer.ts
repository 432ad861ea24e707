// A misbehaving SSB peer for tests: it holds a feed's secret key, so it can write that feed's messages
// by hand — valid ones, and ones with bad signatures, forks, gaps or oversize content — and push them
// to a real peer over a real secret-handshake connection and an EBT stream, whatever it is asked for.
import { createRequire } from 'node:module';
import pull from 'pull-stream';
import SecretStack from 'secret-stack';
import ssbKeys from 'ssb-keys';

const require = createRequire(import.meta.url);

export interface MsgValue {
  previous: string | null;
  author: string;
  sequence: number;
  timestamp: number;
  hash: 'sha256';
  content: Record<string, unknown>;
  signature: string;
}

type Keys = ReturnType<typeof ssbKeys.generate>;

export function msgId(value: MsgValue): string {
  return `%${(ssbKeys as unknown as { hash(data: string): string }).hash(JSON.stringify(value, null, 2))}`;
}

/** Writes messages of one feed, keeping the chain (`previous`, `sequence`) unless told otherwise. */
export class FeedWriter {
  readonly keys: Keys = ssbKeys.generate();
  readonly messages: MsgValue[] = [];

  get id(): string {
    return this.keys.id;
  }

  /** A correctly signed message after `after` (default: the latest one kept). */
  sign(content: Record<string, unknown>, after: MsgValue | null = this.messages.at(-1) ?? null): MsgValue {
    const unsigned = {
      previous: after ? msgId(after) : null,
      author: this.keys.id,
      sequence: after ? after.sequence + 1 : 1,
      timestamp: Date.now(),
      hash: 'sha256' as const,
      content,
    };
    return ssbKeys.signObj(this.keys, unsigned) as MsgValue;
  }

  /** Signs and keeps a message: the honest feed. */
  append(content: Record<string, unknown>): MsgValue {
    const msg = this.sign(content);
    this.messages.push(msg);
    return msg;
  }
}

/** A signed message whose content was changed afterwards: the signature no longer matches. */
export function tampered(msg: MsgValue): MsgValue {
  return { ...msg, content: { ...msg.content, text: `${String(msg.content.text)} (changed)` } };
}

interface Duplex {
  source: pull.Source<unknown>;
  sink: pull.Sink<unknown>;
}

/** A pull-stream source fed by hand. */
function pushable() {
  const queue: unknown[] = [];
  let waiting: pull.SourceCallback<unknown> | null = null;
  let ended = false;
  const source: pull.Source<unknown> = (abort, cb) => {
    if (abort) {
      ended = true;
      cb(abort);
      return;
    }
    if (queue.length > 0) cb(null, queue.shift());
    else if (ended) cb(true);
    else waiting = cb;
  };
  const push = (value: unknown) => {
    if (ended) return;
    if (waiting) {
      const cb = waiting;
      waiting = null;
      cb(null, value);
    } else queue.push(value);
  };
  const end = () => {
    ended = true;
    if (waiting) {
      const cb = waiting;
      waiting = null;
      cb(true);
    }
  };
  return { source, push, end };
}

/**
 * Connects to `address` as the feed's author and, once the target has sent its first notes, pushes
 * `messages` over ssb-ebt's `replicate` stream, claiming to hold `claim` messages of the feed.
 * Resolves after `lingerMs`, when the connection is closed again.
 */
export async function pushOverEbt(
  writer: FeedWriter,
  address: string,
  messages: MsgValue[],
  options: { claim?: number; lingerMs?: number } = {},
): Promise<{ received: unknown[] }> {
  const caps = require('ssb-caps') as { shs: string };
  // The rogue only dials out; a local `ebt.replicate` in the manifest lets muxrpc call the remote one.
  const fakeEbt = {
    name: 'ebt',
    version: '1.0.0',
    manifest: { replicate: 'duplex' },
    init: () => ({ replicate: () => ({ source: pull.error(new Error('not here')), sink: pull.drain() }) }),
  };
  const create = SecretStack({ caps: { shs: caps.shs } }).use(fakeEbt as never) as unknown as (config: object) => {
    connect(address: string, cb: (err: Error | null, rpc?: { ebt: { replicate(opts: object): Duplex } }) => void): void;
    close(force: boolean, cb: () => void): void;
  };
  const rogue = create({
    keys: writer.keys,
    connections: { incoming: {}, outgoing: { net: [{ transform: 'shs' }] } },
    timers: { handshake: 10_000, inactivity: 60_000 },
  });
  const received: unknown[] = [];
  try {
    const rpc = await new Promise<{ ebt: { replicate(opts: object): Duplex } }>((resolve, reject) =>
      rogue.connect(address, (err, r) => (err || !r ? reject(err ?? new Error('no rpc')) : resolve(r))),
    );
    const remote = rpc.ebt.replicate({ version: 3, format: 'classic' });
    const out = pushable();
    let sent = false;
    pull(out.source, remote.sink);
    pull(
      remote.source,
      pull.drain(
        (data: unknown) => {
          received.push(data);
          if (sent) return;
          sent = true;
          // EBT v3 note: sequence << 1, low bit set = "do not send to me".
          const claim = options.claim ?? Math.max(0, ...messages.map((m) => m.sequence));
          out.push({ [writer.id]: (claim << 1) | 1 });
          for (const msg of messages) out.push(msg);
        },
        () => out.end(),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, options.lingerMs ?? 1500));
    out.end();
  } finally {
    await new Promise<void>((resolve) => rogue.close(true, () => resolve()));
  }
  return { received };
}

/**
 * Pushes until `done()` holds (at most `attempts` connections): a push can meet a device that is still
 * tearing down the rogue's previous connection and drops the new one as a duplicate, as a real peer would
 * simply reconnect.
 */
export async function pushUntil(
  writer: FeedWriter,
  address: string,
  messages: MsgValue[],
  done: () => boolean | Promise<boolean>,
  options: { claim?: number; lingerMs?: number; attempts?: number } = {},
): Promise<void> {
  const attempts = options.attempts ?? 4;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await pushOverEbt(writer, address, messages, options);
    for (let wait = 0; wait < 10; wait++) {
      if (await done()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`the device did not take the pushed messages as expected after ${attempts} connections`);
}
