// A photo posted: the blob stored, then a post that links it (the image markdown after the words, and a
// mention with the photo's name, size and type). One place for the web page's form and the peer socket's
// `ssb.photo`, so a photo looks the same to friends whichever way it was posted.
import type { PublishedMessage, SsbPeer } from './peer-api.js';

export interface Photo {
  bytes: Uint8Array;
  /** The name shown with the photo (the image's alt text). */
  name: string;
  /** Words posted with it; empty for none. */
  text: string;
  /** Its media type, when known. */
  type?: string | undefined;
}

/** The post's content that links the stored blob. */
export function photoPostContent(photo: Omit<Photo, 'bytes'> & { blob: string; size: number }) {
  const link = `![${photo.name}](${photo.blob})`;
  const mention: Record<string, unknown> = { link: photo.blob, name: photo.name, size: photo.size };
  if (photo.type) mention.type = photo.type;
  return { type: 'post', text: photo.text === '' ? link : `${photo.text}\n\n${link}`, mentions: [mention] };
}

export async function postPhoto(
  peer: Pick<SsbPeer, 'addBlob' | 'publish'>,
  photo: Photo,
): Promise<PublishedMessage & { blob: string }> {
  const blob = await peer.addBlob(photo.bytes);
  const message = await peer.publish(
    photoPostContent({ blob, size: photo.bytes.length, name: photo.name, text: photo.text, type: photo.type }),
  );
  return { ...message, blob };
}
