import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { openMessageMedia, openSignedMedia, type MediaFile } from '../../media/serve';
import { SIGNED_MEDIA_PATH } from '../../media/signed-url';
import { ErrorSchema, protectedErrors } from '../schemas/common';
import {
  MediaFileBody,
  MessageMediaParams,
  SignedMediaParams,
  SignedMediaQuery,
} from '../schemas/message-media';
import { orgOf } from '../types';

function sendFile(reply: FastifyReply, file: MediaFile) {
  reply.header('content-type', file.contentType).header('content-length', String(file.size));
  if (file.filename) {
    reply.header(
      'content-disposition',
      `inline; filename*=UTF-8''${encodeURIComponent(file.filename)}`,
    );
  }
  return reply.send(file.stream);
}

/** Inbound messages' files, streamed from the media store. */
export const messageMediaRoutes: FastifyPluginAsyncZod = async (app) => {
  const deps = { store: app.store, blobs: app.blobs };

  app.get(
    '/api/messages/:id/media',
    {
      schema: {
        tags: ['messages'],
        summary: "A message's media file (an inbound image, video, audio, document or sticker)",
        params: MessageMediaParams,
        response: {
          200: MediaFileBody,
          404: ErrorSchema,
          409: ErrorSchema,
          ...protectedErrors,
        },
      },
    },
    async (request, reply) =>
      sendFile(reply, await openMessageMedia(deps, orgOf(request.principal), request.params.id)),
  );

  app.get(
    `${SIGNED_MEDIA_PATH}/:orgId/:id`,
    {
      config: { public: true },
      schema: {
        tags: ['messages'],
        summary:
          "A message's media file by the signed, time-limited URL in its content and its message.incoming event (no API key)",
        params: SignedMediaParams,
        querystring: SignedMediaQuery,
        response: {
          200: MediaFileBody,
          400: ErrorSchema,
          403: ErrorSchema,
          404: ErrorSchema,
          409: ErrorSchema,
          429: ErrorSchema,
        },
      },
    },
    async (request, reply) => {
      const { orgId, id } = request.params;
      const file = await openSignedMedia(
        { ...deps, secret: app.config.media.urlSecret },
        orgId,
        id,
        request.query,
      );
      return sendFile(reply, file);
    },
  );
};
