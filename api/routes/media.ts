import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DomainError, ValidationError } from '../../lib/errors';
import { uploadMedia, type UploadedMedia } from '../../media/upload';
import { envelope, ErrorSchema, ok, protectedErrors } from '../schemas/common';
import { MediaUploadForm, MediaView } from '../schemas/media';
import { orgOf } from '../types';

const mediaView = ({ media }: UploadedMedia) => ({
  id: media._id,
  mime_type: media.mime_type,
  size: media.size!,
  sha256: media.sha256!,
  filename: media.filename,
  whatsapp_account_id: media.account_id,
  created_at: media.created_at.toISOString(),
});

/** The multipart parser's own complaints (no boundary, a cut-off body) are the client's. */
function malformed(err: unknown): unknown {
  if (err instanceof DomainError || !(err instanceof Error)) return err;
  const status = (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new DomainError(`Invalid multipart body: ${err.message}`, status);
  }
  if (/^(Multipart:|Unexpected end of|Malformed part header)/.test(err.message)) {
    return new ValidationError(`Invalid multipart body: ${err.message}`);
  }
  return err;
}

export const mediaRoutes: FastifyPluginAsyncZod = async (app) => {
  const { store, blobs, meta } = app;

  app.post(
    '/api/media',
    {
      schema: {
        tags: ['media'],
        summary: 'Upload a media file, stored and uploaded to Meta, to send by its id',
        description:
          'multipart/form-data with a `file` part; `whatsapp_account` and `type`, when given, ' +
          'come before it. The file streams to the media store and on to Meta; a file past ' +
          "its type's limit is a 413 naming it, a type WhatsApp does not take a 415.",
        consumes: ['multipart/form-data'],
        body: MediaUploadForm,
        response: {
          201: envelope(MediaView),
          400: ErrorSchema,
          413: ErrorSchema,
          415: ErrorSchema,
          502: ErrorSchema,
          ...protectedErrors,
        },
      },
      // The form is read as a stream below; its schema only documents it.
      validatorCompiler: () => (value: unknown) => ({ value }),
    },
    async (req, reply) => {
      const orgId = orgOf(req.principal);
      if (!req.isMultipart()) {
        throw new DomainError('Send the file as multipart/form-data, in a part named file', 415);
      }
      const fields: Record<string, string> = {};
      let uploaded: UploadedMedia | null = null;
      try {
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            fields[part.fieldname] = String(part.value);
          } else if (part.fieldname !== 'file' || uploaded) {
            part.file.resume();
          } else {
            uploaded = await uploadMedia({ store, blobs, meta }, orgId, {
              stream: part.file,
              mimeType: fields.type ?? part.mimetype,
              filename: part.filename || null,
              whatsapp_account: fields.whatsapp_account,
            });
          }
        }
      } catch (err) {
        throw malformed(err);
      }
      if (!uploaded) throw new ValidationError('file: required (a multipart part named file)');
      return reply.code(201).send(ok(mediaView(uploaded)));
    },
  );
};
