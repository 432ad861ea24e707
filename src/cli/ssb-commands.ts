// `smallworld ssb …`: the SSB peer's commands, each a typed request over the peer's own socket
// (DATA/peer.sock), printed for people or as JSON (--json).
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { PublishedMessage } from '../ssb/peer-api.js';
import type { PeerProtocol } from '../ssb/protocol.js';
import { sniffImage } from '../web/images.js';
import { common, EXIT, UsageError } from './arguments.js';
import { callPeer } from './calls.js';

type PhotoRequest = Extract<PeerProtocol['request'], { cmd: 'ssb.photo' }>;

const SSB_FLAGS = {
  ...common,
  type: { type: 'string' },
  text: { type: 'string' },
  photo: { type: 'string' },
  out: { type: 'string' },
} as const;

/** One `ssb` subcommand: its positional words after the subcommand, the flags, and how to print a result. */
interface SsbCall {
  words: Array<string | undefined>;
  values: {
    data?: string | undefined;
    json: boolean;
    type?: string | undefined;
    text?: string | undefined;
    photo?: string | undefined;
    out?: string | undefined;
  };
  show(result: unknown, human: () => string): void;
}

const SUBCOMMANDS: Record<string, (call: SsbCall) => Promise<void>> = {
  async whoami({ values, show }) {
    const result = await callPeer(values.data, { cmd: 'ssb.whoami' });
    show({ id: result.id }, () => result.id);
  },
  async status({ values, show }) {
    const result = await callPeer(values.data, { cmd: 'ssb.status' });
    show(result, () => JSON.stringify(result, null, 2));
  },
  async feeds({ values, show }) {
    const result = await callPeer(values.data, { cmd: 'ssb.feeds' });
    show(result, () => result.map((f) => `${f.id} ${f.sequence}`).join('\n') || 'no feeds');
  },
  async peers({ values, show }) {
    const result = await callPeer(values.data, { cmd: 'ssb.peers' });
    show(
      result,
      () => result.map((p) => `${p.state.padEnd(12)} ${p.key ?? '?'} ${p.address}`).join('\n') || 'no peers',
    );
  },
  publish,
  follow: (call) => feedAction('follow', call),
  unfollow: (call) => feedAction('unfollow', call),
  block: (call) => feedAction('block', call),
  unblock: (call) => feedAction('unblock', call),
  async connect({ words: [address], values, show }) {
    if (address === undefined) throw new UsageError('ssb connect takes an address');
    const result = await callPeer(values.data, { cmd: 'ssb.connect', address });
    show(result, () => `connected to ${result.id}`);
  },
  blob,
};

export async function ssbCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: SSB_FLAGS, strict: true, allowPositionals: true });
  const [sub, ...words] = positionals;
  const run = sub === undefined || !Object.hasOwn(SUBCOMMANDS, sub) ? undefined : SUBCOMMANDS[sub];
  if (run === undefined)
    throw new UsageError(
      'expected an ssb command: whoami, status, publish, follow, unfollow, block, unblock, feeds, peers, blob, connect',
    );
  const show = (result: unknown, human: () => string) =>
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${human()}\n`);
  await run({ words, values, show });
  return EXIT.ok;
}

async function publish({ values, show }: SsbCall): Promise<void> {
  if (!values.type) throw new UsageError('ssb publish needs --type TYPE');
  let result: PublishedMessage;
  if (values.photo !== undefined) {
    if (values.type !== 'post') throw new UsageError('a photo is published as a post: use --type post');
    const bytes = await readFile(values.photo);
    // As the web page's form: a photo is what its bytes say, whatever the file is called.
    const mime = sniffImage(bytes);
    if (mime === null)
      throw new Error(`${values.photo} is not a photo (JPEG, PNG, GIF or WebP by its bytes): nothing was published`);
    const photo: PhotoRequest = {
      cmd: 'ssb.photo',
      data: bytes.toString('base64'),
      name: basename(values.photo),
      mime,
    };
    if (values.text !== undefined) photo.text = values.text;
    result = await callPeer(values.data, photo);
  } else {
    const content: { type: string; text?: string } = { type: values.type };
    if (values.text !== undefined) content.text = values.text;
    result = await callPeer(values.data, { cmd: 'ssb.publish', content });
  }
  show(result, () => result.key);
}

async function feedAction(
  action: 'follow' | 'unfollow' | 'block' | 'unblock',
  { words: [feed, extra], values, show }: SsbCall,
): Promise<void> {
  if (feed === undefined || extra !== undefined) throw new UsageError(`ssb ${action} takes one feed id`);
  const result = await callPeer(values.data, { cmd: `ssb.${action}`, feed });
  show(result, () => `${action}: ${feed}`);
}

async function blob({ words: [action, target], values, show }: SsbCall): Promise<void> {
  if (action === 'add' && target !== undefined) {
    const bytes = await readFile(target);
    const result = await callPeer(values.data, { cmd: 'ssb.blob.add', data: bytes.toString('base64') });
    show(result, () => result.id);
    return;
  }
  if (action === 'get' && target !== undefined) {
    const result = await callPeer(values.data, { cmd: 'ssb.blob.get', blob: target });
    const bytes = Buffer.from(result.data, 'base64');
    if (values.out !== undefined) {
      await writeFile(values.out, bytes);
      show(
        { id: result.id, size: result.size, out: values.out },
        () => `${result.size} bytes written to ${values.out}`,
      );
    } else if (values.json) show(result, () => '');
    else process.stdout.write(bytes);
    return;
  }
  throw new UsageError('expected "ssb blob add FILE" or "ssb blob get ID [--out FILE]"');
}
