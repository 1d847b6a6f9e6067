import { z } from 'zod';
import { Timestamp } from './common';

/** The multipart form of an upload, for the OpenAPI document (the route reads it as a stream). */
export const MediaUploadForm = z.object({
  whatsapp_account: z
    .uuid()
    .optional()
    .describe('Account to upload for (before file); default account if omitted'),
  type: z
    .string()
    .optional()
    .describe("The file's MIME type (before file), if its part does not carry the right one"),
  file: z
    .string()
    .meta({ format: 'binary' })
    .describe(
      'The file: image/jpeg or image/png up to 5 MB, video/mp4 or video/3gpp up to 16 MB, ' +
        'audio (aac, amr, mpeg, mp4, ogg) up to 16 MB, documents (pdf, text, Word, Excel, ' +
        'PowerPoint) up to 100 MB, image/webp stickers up to 500 KB',
    ),
});

export const MediaView = z.object({
  id: z.string().describe('Waflow\'s id: sends name it as {"id": ...} in place of link'),
  mime_type: z.string(),
  size: z.number().int().describe('Bytes'),
  sha256: z.string().describe('Hex'),
  filename: z.string().nullable(),
  whatsapp_account_id: z.string().describe('The account it was uploaded to Meta for'),
  created_at: Timestamp,
});
