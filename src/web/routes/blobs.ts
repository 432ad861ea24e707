// Photos served from the blob store: only bytes that are an image (images.ts), under a CSP that makes even a
// blob opened on its own nothing but an image. A guest sees the photos the device holds; only the owner's page
// makes it ask other peers.
import type { FastifyInstance } from 'fastify';
import { HttpError } from '../errors.js';
import { sniffImage } from '../images.js';
import { InvalidInput, isBlobId } from '../inputs.js';
import type { SsbAccess } from '../ssb-access.js';

/** A blob is shown as an image and nothing else, even if opened on its own. */
const BLOB_CSP = "default-src 'none'; sandbox";

export function blobRoutes(app: FastifyInstance, parts: { ssb: SsbAccess }): void {
  app.get<{ Querystring: { id?: string } }>('/blob', { config: { guest: true } }, async (request, reply) => {
    const id = request.query.id;
    if (!isBlobId(id)) throw new InvalidInput('expected ?id=&<base64>.sha256');
    const ssb = parts.ssb.peer();
    if (!request.session && !(await ssb.hasBlob(id))) throw new HttpError(404, 'this photo is not on the device');
    let bytes: Buffer;
    try {
      // A photo we do not hold yet is asked of the connected peers, briefly.
      bytes = await ssb.getBlob(id, { timeoutMs: 3000 });
    } catch {
      throw new HttpError(404, 'this photo is not on the device (yet)');
    }
    const type = sniffImage(bytes);
    if (type === null) throw new HttpError(415, 'this blob is not a photo, so it is not shown');
    return reply
      .type(type)
      .header('Content-Security-Policy', BLOB_CSP)
      .header('Content-Disposition', 'inline')
      .header('Cache-Control', 'private, max-age=86400, immutable')
      .send(bytes);
  });
}
