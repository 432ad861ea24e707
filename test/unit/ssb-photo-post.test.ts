// A photo post's content (src/ssb/photo-post.ts), the same from the web page's form and the peer socket.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { photoPostContent, postPhoto } from '../../src/ssb/photo-post.js';

const BLOB = `&${'b'.repeat(43)}=.sha256`;

describe('photo posts', () => {
  const cases: Array<[string, Parameters<typeof photoPostContent>[0], ReturnType<typeof photoPostContent>]> = [
    [
      'a photo alone',
      { blob: BLOB, size: 10, name: 'lake.png', text: '', type: 'image/png' },
      {
        type: 'post',
        text: `![lake.png](${BLOB})`,
        mentions: [{ link: BLOB, name: 'lake.png', size: 10, type: 'image/png' }],
      },
    ],
    [
      'words, then the photo',
      { blob: BLOB, size: 10, name: 'lake.png', text: 'Hello', type: 'image/png' },
      {
        type: 'post',
        text: `Hello\n\n![lake.png](${BLOB})`,
        mentions: [{ link: BLOB, name: 'lake.png', size: 10, type: 'image/png' }],
      },
    ],
    [
      'no type known: the mention has none',
      { blob: BLOB, size: 3, name: 'photo', text: '', type: undefined },
      { type: 'post', text: `![photo](${BLOB})`, mentions: [{ link: BLOB, name: 'photo', size: 3 }] },
    ],
  ];
  for (const [what, photo, content] of cases) {
    it(what, () => assert.deepEqual(photoPostContent(photo), content));
  }

  it('stores the blob first, then publishes the post that links it', async () => {
    const calls: string[] = [];
    const posted = await postPhoto(
      {
        addBlob: async () => {
          calls.push('addBlob');
          return BLOB;
        },
        publish: async (content) => {
          calls.push(`publish ${String(content.text)}`);
          return { key: '%m', sequence: 1 };
        },
      },
      { bytes: new Uint8Array(4), name: 'x.gif', text: 'hi', type: 'image/gif' },
    );
    assert.deepEqual(calls, ['addBlob', `publish hi\n\n![x.gif](${BLOB})`]);
    assert.equal(posted.blob, BLOB);
    assert.equal(posted.key, '%m');
  });
});
