import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MetaError, unsupportedRequest } from './errors';
import type { SimState } from './state';

type MayUse = (req: FastifyRequest, phoneNumberId: string) => boolean;

/**
 * `GET /{media-id}`: Meta's description of a media file with a download URL good for 5
 * minutes. Undefined when the id is no media file's (another node may have it); an expired
 * one is Meta's "does not exist" error.
 */
export function mediaNode(req: FastifyRequest, state: SimState, mayUse: MayUse, id: string) {
  const known = state.media.any(id);
  if (!known) return undefined;
  const file = state.media.get(id);
  if (!file || (file.phone_number_id && !mayUse(req, file.phone_number_id))) {
    throw unsupportedRequest('GET', id);
  }
  const version = (req.params as { version: string }).version;
  return {
    messaging_product: 'whatsapp',
    url: `${req.protocol}://${req.host}/${version}/whatsapp_business/attachments/?${state.media.downloadQuery(id)}`,
    mime_type: file.mime_type,
    sha256: file.sha256,
    file_size: file.size,
    id: file.id,
  };
}

/**
 * The download URL `GET /{media-id}` gives (Meta's lookaside URL), behind the Graph API's bearer
 * check. An expired or altered URL is refused; a file may be set to fail or to serve other
 * bytes (`/_sim/media/:id/faults`).
 */
export function mediaDownloadRoute(state: SimState, mayUse: MayUse) {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { mid?: string; ext?: string; hash?: string } }>(
      '/:version/whatsapp_business/attachments/',
      async (req, reply) => {
        const file = state.media.checkDownload(req.query);
        if (file === 'invalid') throw new MetaError(403, 100, 'URL signature mismatch');
        if (file === 'expired') throw new MetaError(404, 100, 'URL signature expired');
        if (file.phone_number_id && !mayUse(req, file.phone_number_id)) {
          throw unsupportedRequest('GET', file.id);
        }
        if (file.failDownloads > 0) {
          file.failDownloads--;
          throw new MetaError(file.failStatus, 1, 'An unknown error has occurred.');
        }
        return reply
          .header('content-type', file.mime_type)
          .header('content-length', String(file.size))
          .send(state.media.stream(file));
      },
    );
  };
}
