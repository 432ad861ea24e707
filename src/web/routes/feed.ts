// The Feed page's API: the latest posts, and posting words, a photo or both from the page's form. The photo's
// type comes from its bytes (images.ts), and the post is built where the peer socket's `ssb.photo` builds it
// (ssb/photo-post.ts).
import type { FastifyInstance } from 'fastify';
import type { LogSink } from '../../log/logger.js';
import { postPhoto } from '../../ssb/photo-post.js';
import { HttpError } from '../errors.js';
import { sniffImage } from '../images.js';
import { InvalidInput, photoNameField, postTextField } from '../inputs.js';
import type { SsbAccess } from '../ssb-access.js';
import { feedItem } from '../views.js';

export function feedRoutes(app: FastifyInstance, parts: { ssb: SsbAccess; logger: LogSink }): void {
  const { ssb: access, logger } = parts;
  app.get('/api/feed', async () => {
    const ssb = access.peer();
    const [messages, relationships, profiles] = await Promise.all([
      ssb.recentMessages(60),
      ssb.relationships(),
      ssb.profiles(),
    ]);
    return {
      self: ssb.id,
      maxPhotoBytes: ssb.blobsMaxBytes,
      items: messages.map((m) => feedItem(m, ssb.id, relationships, profiles)),
    };
  });

  app.post('/api/feed/post', async (request) => {
    const ssb = access.peer();
    if (!request.isMultipart()) throw new HttpError(415, 'send the post as a form (multipart/form-data)');
    let text = '';
    let photo: { bytes: Buffer; name: string } | null = null;
    const formParts = request.parts({
      limits: { fileSize: ssb.blobsMaxBytes, files: 1, fields: 4, fieldSize: 64 * 1024, parts: 6 },
    });
    for await (const part of formParts) {
      if (part.type === 'file') {
        const bytes = await part.toBuffer();
        if (part.fieldname === 'photo' && bytes.length > 0) photo = { bytes, name: photoNameField(part.filename) };
      } else if (part.fieldname === 'text') {
        text = postTextField(part.value);
      }
    }
    if (text === '' && photo === null) throw new InvalidInput('write something or choose a photo');
    if (photo === null) {
      const message = await ssb.publish({ type: 'post', text });
      return { ok: true, ...message };
    }
    const type = sniffImage(photo.bytes);
    if (type === null) throw new HttpError(415, 'only photos can be posted: JPEG, PNG, GIF or WebP');
    const posted = await postPhoto(ssb, { bytes: photo.bytes, name: photo.name, text, type });
    logger.log('info', 'web: posted a photo', { blob: posted.blob, size: photo.bytes.length });
    return { ok: true, ...posted };
  });
}
