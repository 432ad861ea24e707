// The SSB libraries as Smallworld uses them: the set Manyverse shipped on secret-stack 6.4, loaded only after
// the native crypto check and the patches (patches/), and the shape of the server they assemble into.
//
// Why secret-stack 6.4 and not 8: from 8.0 a plugin only sees `config[name]` and `config.global`, while these
// plugins read top-level `path`, `keys`, `caps` and `friends.hops`.
import { createRequire } from 'node:module';
import type SecretStack from 'secret-stack';
import type ssbBlobs from 'ssb-blobs';
import type ssbConn from 'ssb-conn';
import type ssbDb2 from 'ssb-db2';
import type ssbEbt from 'ssb-ebt';
import type ssbFriends from 'ssb-friends';
import type ssbLan from 'ssb-lan';

/** The server as assembled by startSsbPeer: secret-stack's core plus the plugin APIs we call. */
export type SsbServer = SecretStack.Server & {
  db: ssbDb2.Api;
  friends: ssbFriends.Api;
  ebt: ssbEbt.Api;
  conn: ssbConn.Api;
  blobs: ssbBlobs.Api;
  lan?: ssbLan.Api;
  /** ssb-db2's compat/ebt: how ssb-ebt reads a feed's message at a sequence to send it. */
  getAtSequenceNativeMsg?: SecretStack.Hookable<
    (key: [string, number], feedFormat: string, cb: (err: Error | null, msg?: unknown) => void) => void
  >;
};

export function loadMainNetworkCaps(): { shs: string } {
  // ssb-caps' entry point is a JSON file, which ESM can only import with an attribute; require it.
  // Its `sign` is null on the main network (messages are signed without an HMAC key), so leave it out.
  const caps: unknown = createRequire(import.meta.url)('ssb-caps');
  const { shs } = caps as { shs?: unknown };
  if (typeof shs !== 'string' || Buffer.from(shs, 'base64').length !== 32) throw new Error('ssb-caps has no shs cap');
  return { shs };
}

/**
 * Where ssb-lan 1.2 will send its signed beacons, computed with ssb-lan's own dependencies and logic: the
 * subnet broadcast of the first interface whose address `ip.isPrivate` accepts, or 255.255.255.255 if none.
 * IPv6 ULA and link-local addresses count as private there, and the IPv4 subnet of an IPv6 address comes
 * out as 0.0.0.0 — which Linux delivers to this host only. Logged at start because it decides whether
 * anyone else can hear us.
 */
export function ssbLanBroadcastDestination(): string {
  try {
    const req = createRequire(createRequire(import.meta.url).resolve('ssb-lan'));
    const ip = req('ip') as {
      isPrivate(a: string): boolean;
      subnet(a: string, m: string): { broadcastAddress: string };
    };
    const nonPrivateIp = req('non-private-ip') as (
      i: null,
      filter: (a: string) => boolean,
      details: true,
    ) => { address: string; netmask: string } | undefined;
    const details = nonPrivateIp(null, ip.isPrivate, true);
    return details ? ip.subnet(details.address, details.netmask).broadcastAddress : '255.255.255.255';
  } catch (error) {
    return `unknown (${String(error)})`;
  }
}

/** A library's export as `import()` would give it as `default`: these are CommonJS modules. */
type Library<M> = M extends { default: infer D } ? D : M;

/**
 * The SSB libraries are loaded only after the native crypto check: without a loadable sodium-native, loading
 * ssb-db2 throws (through sodium-universal) before any of our code could say why.
 *
 * They are CommonJS, so they are required, not imported: `import()` of a CommonJS module makes Node's ES module
 * loader read its package.json, detect its format and parse its source for named exports, on top of requiring
 * it (cold start, issue 17). Between two libraries the event loop turns, so that file work started beside
 * them (the data directory, the identity and its fsync) goes on instead of waiting for all of them.
 */
export async function loadSsbLibraries() {
  const req = createRequire(import.meta.url);
  const load = async <M>(id: string): Promise<Library<M>> => {
    const library = req(id) as Library<M>;
    await new Promise((resolve) => setImmediate(resolve));
    return library;
  };
  return {
    SecretStack: await load<typeof import('secret-stack')>('secret-stack'),
    operators: await load<typeof import('ssb-db2/operators/index.js')>('ssb-db2/operators/index.js'),
    plugins: {
      db2: await load<typeof import('ssb-db2')>('ssb-db2'),
      // top-level publish/whoami/keys, which ssb-friends and ssb-lan call
      compatDb: await load<typeof import('ssb-db2/compat/db.js')>('ssb-db2/compat/db.js'),
      // getVectorClock and friends, which ssb-ebt calls
      compatEbt: await load<typeof import('ssb-db2/compat/ebt.js')>('ssb-db2/compat/ebt.js'),
      friends: await load<typeof import('ssb-friends')>('ssb-friends'),
      ebt: await load<typeof import('ssb-ebt')>('ssb-ebt'),
      scheduler: await load<typeof import('ssb-replication-scheduler')>('ssb-replication-scheduler'),
      conn: await load<typeof import('ssb-conn')>('ssb-conn'),
      lan: await load<typeof import('ssb-lan')>('ssb-lan'),
      blobs: await load<typeof import('ssb-blobs')>('ssb-blobs'),
    },
  };
}

export type SsbLibraries = Awaited<ReturnType<typeof loadSsbLibraries>>;

export function isServer(value: unknown): value is SsbServer {
  const s = value as Partial<Record<keyof SsbServer, unknown>> | null;
  const hasObject = (v: unknown, ...methods: string[]) =>
    typeof v === 'object' &&
    v !== null &&
    methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function');
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.id === 'string' &&
    typeof s.getAddress === 'function' &&
    typeof s.close === 'function' &&
    hasObject(s.db, 'publish', 'add', 'addBatch', 'onMsgAdded', 'getAllLatest', 'onDrain') &&
    hasObject(s.friends, 'follow', 'block', 'hopStream', 'graphStream') &&
    hasObject(s.ebt, 'peerStatus', 'request') &&
    hasObject(s.conn, 'connect', 'stage', 'query', 'hub') &&
    hasObject(s.blobs, 'add', 'get', 'has', 'want')
  );
}
