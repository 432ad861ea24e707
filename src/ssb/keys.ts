// The device's SSB identity: dataDir/secret, in ssb-keys' file format so other SSB tools can read it,
// but written 0600 and atomically (ssb-keys writes 0400 in place: a crash can leave a truncated identity).
import { chmod, stat } from 'node:fs/promises';
import type SecretStack from 'secret-stack';
import ssbKeys from 'ssb-keys';
import type { LogSink as PeerLogger } from '../log/logger.js';
import { writeFileAtomic } from '../store/atomic-file.js';
import { readTextIfPresent } from '../store/missing.js';

const KEY_B64 = '[A-Za-z0-9+/]+={0,2}';
const PUBLIC = new RegExp(`^${KEY_B64}\\.ed25519$`);

function isKeys(value: unknown): value is SecretStack.Keys {
  const k = value as Partial<Record<keyof SecretStack.Keys, unknown>> | null;
  return (
    typeof k === 'object' &&
    k !== null &&
    k.curve === 'ed25519' &&
    typeof k.public === 'string' &&
    PUBLIC.test(k.public) &&
    typeof k.private === 'string' &&
    PUBLIC.test(k.private) &&
    k.id === `@${k.public}`
  );
}

/** ssb-keys' format: JSON between `#` comment lines. */
function serialize(keys: SecretStack.Keys): string {
  return `# WARNING: Never show this to anyone.
# WARNING: Never edit it or use it on multiple devices at once.
#
# This is your SECRET, it gives you magical powers. With your secret you can
# sign your messages so that your friends can verify that the messages came
# from you. If anyone learns your secret, they can use it to impersonate you.
#
# If you use this secret on more than one device you will create a fork and
# your friends will stop replicating your content.
#
${JSON.stringify(keys, null, 2)}
#
# The only part of this file that's safe to share is your public name:
#
#   ${keys.id}
`;
}

function parse(text: string): unknown {
  const json = text
    .replace(/\s*#[^\n]*/g, '')
    .split('\n')
    .filter((line) => line.length > 0)
    .join('');
  const value: unknown = JSON.parse(json);
  // Files written by old ssb-keys lack the sigil on `id`.
  if (typeof value === 'object' && value !== null && 'public' in value && !('id' in value)) {
    return { ...value, id: `@${String((value as { public: unknown }).public)}` };
  }
  return value;
}

export async function loadOrCreateKeys(path: string, logger: PeerLogger): Promise<SecretStack.Keys> {
  const text = await readTextIfPresent(path);
  if (text === null) {
    const keys = ssbKeys.generate();
    await writeFileAtomic(path, serialize(keys), { mode: 0o600 });
    logger.log('info', 'created a new SSB identity', { id: keys.id, path });
    return keys;
  }
  let keys: unknown;
  try {
    keys = parse(text);
  } catch (error) {
    // Never replace an identity we cannot read: that would silently become somebody else.
    throw new Error(`cannot read SSB secret ${path}: ${String(error)}`);
  }
  if (!isKeys(keys)) throw new Error(`SSB secret ${path} is not an ed25519 key pair`);
  const mode = (await stat(path)).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    await chmod(path, 0o600);
    logger.log('warn', 'SSB secret was readable by others; set to 0600', { path, mode: mode.toString(8) });
  }
  return keys;
}
