import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bareMimeType, MAX_MEDIA_BYTES, WHATSAPP_MEDIA_TYPES } from '../../lib/whatsapp-media';
import { invalidParameter, unsupportedRequest } from './errors';
import type { SimState } from './state';

type MayUse = (req: FastifyRequest, phoneNumberId: string) => boolean;

const SUPPORTED = Object.keys(WHATSAPP_MEDIA_TYPES).join(', ');

/** Meta's answer for a file of a type it does not take, in its own words. */
const unsupportedType = (type: string) =>
  invalidParameter(
    `Param file must be a file with one of the following types: ${SUPPORTED}. Received file of type '${type}'.`,
  );

const tooLarge = (type: string, maxBytes: number) =>
  invalidParameter(
    `Param file must be at most ${maxBytes} bytes for type ${type}: the file is larger.`,
  );

/**
 * `POST /{phone-number-id}/media` (multipart: `file`, `type`, `messaging_product=whatsapp`),
 * answering `{id}`, and `DELETE /{media-id}` answering `{success: true}`. An uploaded file is
 * the number's: `GET /{media-id}` describes it and sends may name it by id until it expires
 * (30 days after the upload, on the simulator's clock).
 */
export function mediaUploadRoutes(state: SimState, mayUse: MayUse) {
  return async (app: FastifyInstance) => {
    await app.register(multipart, { limits: { fileSize: MAX_MEDIA_BYTES, files: 1 } });

    app.post<{ Params: { version: string; phoneNumberId: string } }>(
      '/:version/:phoneNumberId/media',
      async (req) => {
        const { phoneNumberId } = req.params;
        if (!mayUse(req, phoneNumberId)) throw unsupportedRequest('POST', phoneNumberId);
        const number = state.number(phoneNumberId);
        const fields: Record<string, string> = {};
        let file: { bytes: Buffer; partType: string } | null = null;
        for await (const part of req.parts()) {
          if (part.type === 'field') {
            fields[part.fieldname] = String(part.value);
            continue;
          }
          if (part.fieldname !== 'file' || file) {
            part.file.resume();
            continue;
          }
          // `type` given before the file: its limit applies as the bytes arrive.
          const limit = fields.type
            ? (WHATSAPP_MEDIA_TYPES[bareMimeType(fields.type)]?.maxBytes ?? MAX_MEDIA_BYTES)
            : MAX_MEDIA_BYTES;
          const chunks: Buffer[] = [];
          let size = 0;
          for await (const chunk of part.file as AsyncIterable<Buffer>) {
            size += chunk.length;
            if (size > limit) throw tooLarge(fields.type ?? part.mimetype, limit);
            chunks.push(chunk);
          }
          file = { bytes: Buffer.concat(chunks, size), partType: part.mimetype };
        }
        if (fields.messaging_product !== 'whatsapp') {
          throw invalidParameter(
            fields.messaging_product === undefined
              ? 'The parameter messaging_product is required.'
              : "The parameter messaging_product must be 'whatsapp'.",
          );
        }
        if (!file) throw invalidParameter('The parameter file is required.');
        if (!fields.type) throw invalidParameter('The parameter type is required.');
        const type = bareMimeType(fields.type);
        const known = WHATSAPP_MEDIA_TYPES[type];
        if (!known) throw unsupportedType(type);
        if (file.bytes.length > known.maxBytes) throw tooLarge(type, known.maxBytes);
        const added = state.media.add({
          mime_type: type,
          bytes: file.bytes,
          phone_number_id: number.id,
        });
        return { id: added.id };
      },
    );

    app.delete<{
      Params: { version: string; mediaId: string };
      Querystring: { phone_number_id?: string };
    }>('/:version/:mediaId', async (req) => {
      const { mediaId } = req.params;
      const file = state.media.get(mediaId);
      const asked = req.query.phone_number_id;
      const refused =
        !file ||
        (file.phone_number_id !== null && !mayUse(req, file.phone_number_id)) ||
        (asked !== undefined && asked !== file.phone_number_id);
      if (refused) throw unsupportedRequest('DELETE', mediaId);
      state.media.delete(mediaId);
      return { success: true };
    });
  };
}

/** The media objects of a send that name a file by id, with Meta's name for where. */
function mediaIdsOf(body: Record<string, unknown>): { id: string; where: string }[] {
  const found: { id: string; where: string }[] = [];
  const visit = (o: unknown, where: string) => {
    const id = (o as { id?: unknown } | null)?.id;
    if (typeof id === 'string') found.push({ id, where: `${where}['id']` });
  };
  const type = typeof body.type === 'string' ? body.type : 'text';
  if (['image', 'video', 'audio', 'document', 'sticker'].includes(type)) visit(body[type], type);
  if (type === 'interactive') {
    const header = (body.interactive as { header?: Record<string, unknown> } | undefined)?.header;
    const kind = header?.type;
    if (header && typeof kind === 'string') visit(header[kind], `interactive['header']['${kind}']`);
  }
  if (type === 'template') {
    const components = (body.template as { components?: unknown[] } | undefined)?.components;
    components?.forEach((c, i) => {
      const parameters = (c as { parameters?: unknown[] } | null)?.parameters;
      parameters?.forEach((p, j) => {
        const kind = (p as { type?: unknown } | null)?.type;
        if (typeof kind !== 'string' || !['image', 'video', 'document'].includes(kind)) return;
        const where = `template['components'][${i}]['parameters'][${j}]['${kind}']`;
        visit((p as Record<string, unknown>)[kind], where);
      });
    });
  }
  return found;
}

/**
 * Refuses a send naming a media id the number cannot use: unknown, expired (30 days after its
 * upload) or deleted, or uploaded by a number of another WABA. Meta answers these at once
 * with 100 (invalid parameter) naming the parameter; 131053 ("Media upload error") is what a
 * failed status carries when Meta cannot fetch a file by link, not an answer to a send.
 */
export function checkMediaIds(state: SimState, wabaId: string, body: unknown) {
  if (typeof body !== 'object' || body === null) return;
  for (const { id, where } of mediaIdsOf(body as Record<string, unknown>)) {
    const file = state.media.get(id);
    const owner = file?.phone_number_id ? state.knownNumber(file.phone_number_id) : undefined;
    if (!file || (owner && owner.wabaId !== wabaId)) {
      throw invalidParameter(
        `Param ${where} is not a valid whatsapp business account media attachment ID`,
      );
    }
  }
}
