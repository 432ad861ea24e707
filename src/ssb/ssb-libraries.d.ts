// Minimal types for the untyped Secure Scuttlebutt libraries, covering only what src/ssb uses.
// They describe the versions pinned in package.json (secret-stack 6.4, ssb-db2 8.1, ssb-ebt 9.1,
// ssb-friends 5.1, ssb-conn 6.0, ssb-lan 1.2, ssb-blobs 2.0, ssb-keys 8.5). The libraries are CommonJS,
// hence `export =`; peer.ts checks at run time that the assembled server has the members typed here.

// biome-ignore-all lint/correctness/noUnusedImports: Biome does not see type imports used inside `declare module` blocks.

declare module 'pull-stream' {
  namespace pull {
    /** `true` ends a stream normally; an Error ends it with that error. */
    type End = boolean | Error | null;
    type SourceCallback<T> = (end: End, data?: T) => void;
    type Source<T> = (abort: End, cb: SourceCallback<T>) => void;
    type Sink<T> = (source: Source<T>) => void;
    type Through<In, Out> = (source: Source<In>) => Source<Out>;
    interface Drain<T> extends Sink<T> {
      abort(err?: End): void;
    }
    function values<T>(items: readonly T[]): Source<T>;
    function once<T>(item: T): Source<T>;
    function error<T>(err: Error): Source<T>;
    function drain<T>(op?: (data: T) => unknown, done?: (end: End) => void): Drain<T>;
    function collect<T>(cb: (err: Error | null, items: T[]) => void): Sink<T>;
    function filter<T>(test: (data: T) => boolean): Through<T, T>;
    function map<In, Out>(fn: (data: In) => Out): Through<In, Out>;
  }
  // Through first: a through also fits the sink signature (its return value would be ignored).
  function pull<A, B>(source: pull.Source<A>, through: pull.Through<A, B>): pull.Source<B>;
  function pull<T>(source: pull.Source<T>, sink: pull.Sink<T>): void;
  function pull<A, B>(source: pull.Source<A>, through: pull.Through<A, B>, sink: pull.Sink<B>): void;
  export = pull;
}

declare module 'secret-stack' {
  import type pull from 'pull-stream';

  namespace SecretStack {
    /** A secret-stack plugin; its own API is typed where it is used (see the plugin modules below). */
    interface Plugin {
      readonly name?: string;
      readonly init: (...args: never[]) => unknown;
    }

    interface Keys {
      curve: 'ed25519';
      public: string;
      private: string;
      id: string;
    }

    /** The multiserver listener/dialer settings secret-stack 6 reads from the top-level config. */
    interface NetConnection {
      scope?: string | string[];
      host?: string;
      port?: number;
      transform: 'shs';
    }

    /** secret-stack 6 passes this whole object to every plugin (secret-stack 8 would not: see NOTES.md). */
    interface Config {
      path: string;
      keys: Keys;
      caps: { shs: string; sign?: string };
      timers?: { handshake?: number; inactivity?: number; ping?: number };
      connections: {
        incoming: { net: NetConnection[] };
        outgoing: { net: NetConnection[] };
      };
      [plugin: string]: unknown;
    }

    /** One muxrpc connection to another peer, as secret-stack hands it to `rpc:connect` listeners. */
    interface Rpc {
      id: string;
      stream: { address?: string };
      close(force: boolean, cb: (err?: Error | null) => void): void;
      once(event: 'closed', listener: () => void): void;
    }

    type Hookable<F extends (...args: never[]) => unknown> = F & {
      hook(wrapper: (original: F, args: Parameters<F>) => ReturnType<F>): void;
    };

    /** The core API of a started secret-stack server. */
    interface Server {
      id: string;
      getAddress: Hookable<(scope?: string) => string | null>;
      close: Hookable<(force: boolean, cb: (err?: Error | null) => void) => void>;
      on(event: 'rpc:connect', listener: (rpc: Rpc, isClient: boolean) => void): void;
      on(event: 'multiserver:listening', listener: () => void): void;
      once(event: 'multiserver:listening', listener: () => void): void;
      removeListener(event: 'rpc:connect', listener: (rpc: Rpc, isClient: boolean) => void): void;
    }

    type Source<T> = pull.Source<T>;
  }

  interface App {
    use(plugin: SecretStack.Plugin | readonly SecretStack.Plugin[]): App;
    (config: SecretStack.Config): unknown;
  }

  function SecretStack(defaults?: { caps?: { shs: string } }): App;
  export = SecretStack;
}

declare module 'ssb-keys' {
  import type SecretStack from 'secret-stack';

  const ssbKeys: {
    generate(curve?: 'ed25519', seed?: Buffer): SecretStack.Keys;
    loadSync(path: string): SecretStack.Keys;
    signObj<T extends object>(keys: SecretStack.Keys, obj: T): T & { signature: string };
    verifyObj(keys: { public: string } | string, obj: { signature: string }): boolean;
  };
  export = ssbKeys;
}

declare module 'ssb-db2' {
  import type pull from 'pull-stream';
  import type SecretStack from 'secret-stack';

  namespace plugins {
    interface MsgValue {
      previous: string | null;
      author: string;
      sequence: number;
      timestamp: number;
      hash: 'sha256';
      content: unknown;
      signature: string;
    }
    interface Msg {
      key: string;
      value: MsgValue;
      timestamp: number;
    }
    interface Api {
      publish(content: object, cb: (err: Error | null, msg?: Msg) => void): void;
      /** What ssb-ebt calls for each replicated message (opts optional). */
      add(msgVal: MsgValue, ...args: unknown[]): void;
      addBatch(msgVals: MsgValue[], opts: object, cb: (err: Error | null, msgs?: Msg[]) => void): void;
      /** Fires for every appended message, own or replicated; returns an unsubscribe function. */
      onMsgAdded(listener: (ev: { kvt: Msg; nativeMsg: unknown; feedFormat: string }) => void): () => void;
      /** The latest message of every feed held, keyed by feed id, from the base index. */
      getAllLatest(): pull.Source<{ key: string; value: { sequence: number; offset: number } }>;
      onDrain(index: string, cb: () => void): void;
      /** The append-only log; its onDrain fires once pending records are written and fsynced. */
      getLog(): {
        onDrain(cb: () => void): void;
        /** Bytes in the log, and bytes of deleted records that compaction would give back. */
        stats(cb: (err: Error | null, stats: { totalBytes: number; deletedBytes: number }) => void): void;
      };
      /** Marks every message of the feed deleted (zeroed in the log) and forgets its latest state. */
      deleteFeed(feedId: string, cb: (err?: Error | null) => void): void;
      /** Rewrites the log without its deleted records, then rebuilds the indexes. */
      compact(cb: (err?: Error | null) => void): void;
      compactionProgress(): pull.Source<{ percent: number; done: boolean; sizeDiff?: number }>;
      /** A JITDB query: `query(where(...), descending(), paginate(n), toCallback(cb))`; a pull source with `toPullStream()`. */
      query(...operators: unknown[]): unknown;
    }
  }
  const plugins: readonly SecretStack.Plugin[];
  export = plugins;
}

declare module 'ssb-db2/operators/index.js' {
  type Operator = { readonly __operator: unique symbol };
  const operators: {
    where(...ops: Operator[]): Operator;
    and(...ops: Operator[]): Operator;
    type(value: string): Operator;
    isPublic(): Operator;
    descending(): Operator;
    paginate(pageSize: number): Operator;
    /** With `toPullStream`, results come one by one, read from the log this many at a time. */
    batch(batchSize: number): Operator;
    /** jitdb's `timestamp` index: the smaller of arrival and claimed time (ms). */
    lte(value: number, indexName: 'timestamp'): Operator;
    gte(value: number, indexName: 'timestamp'): Operator;
    /** With `paginate` the answer is `{results, total}`, without it an array of messages. */
    toCallback(cb: (err: Error | null, answer: unknown) => void): Operator;
    toPullStream(): Operator;
  };
  export = operators;
}

declare module 'ssb-db2/compat/db.js' {
  import type SecretStack from 'secret-stack';

  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-db2/compat/ebt.js' {
  import type SecretStack from 'secret-stack';

  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-friends' {
  import type SecretStack from 'secret-stack';

  namespace plugin {
    /** Edge values: 1 follow, -1 block, -2 unfollow (and null for "unblocked"). */
    type Graph = Record<string, Record<string, number | null>>;
    interface Api {
      follow(feedId: string, opts: { state?: boolean }, cb: (err: Error | null) => void): void;
      block(feedId: string, opts: { state?: boolean; reason?: string }, cb: (err: Error | null) => void): void;
      /** Distances from us: 0 self, 1 follow, 2 follow-of-follow; negative for blocked/unfollowed. */
      hops(opts: { max?: number }, cb: (err: Error | null, hops: Record<string, number>) => void): void;
      hopStream(opts: { old?: boolean; live?: boolean }): SecretStack.Source<Record<string, number>>;
      graph(cb: (err: Error | null, graph: Graph) => void): void;
      graphStream(opts: { old?: boolean; live?: boolean }): SecretStack.Source<Graph>;
    }
  }
  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-ebt' {
  import type SecretStack from 'secret-stack';

  namespace plugin {
    interface Replicating {
      tx: boolean;
      rx: boolean;
      sent: number;
      requested: number;
    }
    /** ssb-ebt 9 `peerStatus(feedId)`: our latest sequence and what each *connected* peer said it has. */
    interface PeerStatus {
      id: string;
      seq?: number;
      peers: Record<string, { seq?: number; replicating?: Replicating }>;
    }
    interface Api {
      peerStatus(feedId: string): PeerStatus;
      request(feedId: string, replicating: boolean): void;
      clock(cb: (err: Error | null, clock: Record<string, number>) => void): void;
    }
  }
  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-replication-scheduler' {
  import type SecretStack from 'secret-stack';

  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-conn' {
  import type SecretStack from 'secret-stack';

  namespace plugin {
    interface PeerData {
      key?: string;
      type?: string;
      verified?: boolean;
      state?: 'connecting' | 'connected' | 'disconnecting';
      [field: string]: unknown;
    }
    type PeerEntry = [address: string, data: PeerData];
    interface HubEvent {
      type:
        | 'connecting'
        | 'connected'
        | 'disconnecting'
        | 'connecting-failed'
        | 'disconnecting-failed'
        | 'disconnected';
      address: string;
      key?: string;
      details?: unknown;
    }
    interface Api {
      connect(address: string, data: PeerData, cb: (err: Error | null, rpc?: SecretStack.Rpc) => void): void;
      disconnect(address: string, cb: (err: Error | null) => void): void;
      /** Returns false if the address is already connected or staged under the same key. */
      stage(address: string, data: PeerData): boolean;
      unstage(address: string): boolean;
      query(): {
        peersConnected(): PeerEntry[];
        peersConnectable(pool: 'db' | 'staging' | 'dbAndStaging'): PeerEntry[];
      };
      hub(): {
        listen(): SecretStack.Source<HubEvent>;
        entries(): Iterable<PeerEntry>;
      };
      stagedPeers(): SecretStack.Source<PeerEntry[]>;
    }
  }
  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-lan' {
  import type SecretStack from 'secret-stack';

  namespace plugin {
    interface Api {
      /** ssb-lan 1.2 reports `verified: true` only for a signed beacon on UDP 26830. */
      discoveredPeers(): SecretStack.Source<{ address: string; verified: boolean }>;
      start(): void;
      stop(): void;
    }
  }
  const plugin: SecretStack.Plugin;
  export = plugin;
}

declare module 'ssb-blobs' {
  import type pull from 'pull-stream';
  import type SecretStack from 'secret-stack';

  namespace plugin {
    interface Api {
      /** A sink storing the bytes it is fed; cb gets the blob id (`&<sha256 base64>.sha256`). */
      add(cb: (err: Error | null, blobId?: string) => void): pull.Sink<Buffer>;
      /** The whole blob: its id, or `{ key, max, size }` as a friend asks for it. */
      get: SecretStack.Hookable<
        (request: string | { key?: string; id?: string; max?: number; size?: number }) => pull.Source<Buffer>
      >;
      /** Bytes start..end of a blob. */
      getSlice: SecretStack.Hookable<
        (request: {
          key?: string;
          id?: string;
          start: number;
          end: number;
          size?: number;
          max?: number;
        }) => pull.Source<Buffer>
      >;
      has(blobId: string, cb: (err: Error | null, has?: boolean) => void): void;
      size(blobId: string, cb: (err: Error | null, size?: number | null) => void): void;
      rm(blobId: string, cb: (err?: Error | null) => void): void;
      /** Calls back once the blob is held locally, asking connected peers for it meanwhile. */
      want(blobId: string, cb: (err: Error | null, has?: boolean) => void): void;
    }
  }
  const plugin: SecretStack.Plugin;
  export = plugin;
}
