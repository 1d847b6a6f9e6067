import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { MAX_MEDIA_BYTES } from '../../lib/whatsapp-media';
import { openBlobStore } from '../../media/open-blob-store';

/**
 * The media store, and multipart bodies streamed to it: a file part may pass the API's body
 * limit up to the largest type's own (each type's limit is checked as its bytes arrive).
 */
export const mediaPlugin = fp(
  async (app: FastifyInstance) => {
    const blobs = openBlobStore(app.config.media);
    app.decorate('blobs', blobs);
    app.addHook('onClose', () => blobs.close());
    // One byte over the largest limit: the type's own check names the limit first.
    await app.register(multipart, {
      limits: { fileSize: MAX_MEDIA_BYTES + 1, files: 1, fields: 10, fieldSize: 1024 },
    });
  },
  { name: 'media', dependencies: ['store'] },
);
