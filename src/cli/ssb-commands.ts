// `smallworld ssb …`: the SSB peer's commands, each a typed request over the peer's own socket
// (DATA/peer.sock), printed for people or as JSON (--json).
import { readFile, writeFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { parseArgs } from 'node:util';
import type { PublishedMessage } from '../ssb/peer-api.js';
import type { PeerProtocol } from '../ssb/protocol.js';
import { common, EXIT, UsageError } from './arguments.js';
import { callPeer } from './calls.js';

type PhotoRequest = Extract<PeerProtocol['request'], { cmd: 'ssb.photo' }>;

const IMAGE_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

export async function ssbCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      ...common,
      type: { type: 'string' },
      text: { type: 'string' },
      photo: { type: 'string' },
      out: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const [sub, a, b] = positionals;
  const data = values.data;
  const show = (result: unknown, human: () => string) =>
    process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${human()}\n`);
  switch (sub) {
    case 'whoami': {
      const result = await callPeer(data, { cmd: 'ssb.whoami' });
      show({ id: result.id }, () => result.id);
      return EXIT.ok;
    }
    case 'status': {
      const result = await callPeer(data, { cmd: 'ssb.status' });
      show(result, () => JSON.stringify(result, null, 2));
      return EXIT.ok;
    }
    case 'feeds': {
      const result = await callPeer(data, { cmd: 'ssb.feeds' });
      show(result, () => result.map((f) => `${f.id} ${f.sequence}`).join('\n') || 'no feeds');
      return EXIT.ok;
    }
    case 'peers': {
      const result = await callPeer(data, { cmd: 'ssb.peers' });
      show(
        result,
        () => result.map((p) => `${p.state.padEnd(12)} ${p.key ?? '?'} ${p.address}`).join('\n') || 'no peers',
      );
      return EXIT.ok;
    }
    case 'publish': {
      if (!values.type) throw new UsageError('ssb publish needs --type TYPE');
      let result: PublishedMessage;
      if (values.photo !== undefined) {
        if (values.type !== 'post') throw new UsageError('a photo is published as a post: use --type post');
        const bytes = await readFile(values.photo);
        const photo: PhotoRequest = { cmd: 'ssb.photo', data: bytes.toString('base64'), name: basename(values.photo) };
        const mime = IMAGE_TYPES[extname(values.photo).toLowerCase()];
        if (mime) photo.mime = mime;
        if (values.text !== undefined) photo.text = values.text;
        result = await callPeer(data, photo);
      } else {
        const content: { type: string; text?: string } = { type: values.type };
        if (values.text !== undefined) content.text = values.text;
        result = await callPeer(data, { cmd: 'ssb.publish', content });
      }
      show(result, () => result.key);
      return EXIT.ok;
    }
    case 'follow':
    case 'unfollow':
    case 'block':
    case 'unblock': {
      if (a === undefined || b !== undefined) throw new UsageError(`ssb ${sub} takes one feed id`);
      const result = await callPeer(data, { cmd: `ssb.${sub}`, feed: a });
      show(result, () => `${sub}: ${a}`);
      return EXIT.ok;
    }
    case 'connect': {
      if (a === undefined) throw new UsageError('ssb connect takes an address');
      const result = await callPeer(data, { cmd: 'ssb.connect', address: a });
      show(result, () => `connected to ${result.id}`);
      return EXIT.ok;
    }
    case 'blob': {
      if (a === 'add' && b !== undefined) {
        const bytes = await readFile(b);
        const result = await callPeer(data, { cmd: 'ssb.blob.add', data: bytes.toString('base64') });
        show(result, () => result.id);
        return EXIT.ok;
      }
      if (a === 'get' && b !== undefined) {
        const result = await callPeer(data, { cmd: 'ssb.blob.get', blob: b });
        const bytes = Buffer.from(result.data, 'base64');
        if (values.out !== undefined) {
          await writeFile(values.out, bytes);
          show(
            { id: result.id, size: result.size, out: values.out },
            () => `${result.size} bytes written to ${values.out}`,
          );
        } else if (values.json) show(result, () => '');
        else process.stdout.write(bytes);
        return EXIT.ok;
      }
      throw new UsageError('expected "ssb blob add FILE" or "ssb blob get ID [--out FILE]"');
    }
    default:
      throw new UsageError(
        'expected an ssb command: whoami, status, publish, follow, unfollow, block, unblock, feeds, peers, blob, connect',
      );
  }
}
