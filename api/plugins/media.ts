import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { BlobStore } from '../../media/blob-store';
import { openBlobStore } from '../../media/open-blob-store';

declare module 'fastify' {
  interface FastifyInstance {
    /** The media store (files' bytes). */
    blobs: BlobStore;
  }
}

export const mediaPlugin = fp(
  (app: FastifyInstance) => {
    const blobs = openBlobStore(app.config.media);
    app.decorate('blobs', blobs);
    app.addHook('onClose', async () => blobs.close());
  },
  { name: 'media' },
);
