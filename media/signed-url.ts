import { createHmac, timingSafeEqual } from 'node:crypto';
import { ForbiddenError } from '../lib/errors';

export interface MediaUrlSettings {
  /** The API's external URL. */
  publicUrl: string;
  secret: Buffer;
  ttlMs: number;
}

/** Where a message's file is fetched without an API key: `/api/media/signed/:orgId/:messageId`. */
export const SIGNED_MEDIA_PATH = '/api/media/signed';

const signature = (secret: Buffer, orgId: string, messageId: string, expires: number) =>
  createHmac('sha256', secret).update(`media:${orgId}:${messageId}:${expires}`).digest('base64url');

/** A message's file URL, good until `ttlMs` from `now`. */
export function signedMediaUrl(
  s: MediaUrlSettings,
  orgId: string,
  messageId: string,
  now = Date.now(),
): string {
  const expires = Math.floor((now + s.ttlMs) / 1000);
  const query = new URLSearchParams({
    expires: String(expires),
    signature: signature(s.secret, orgId, messageId, expires),
  });
  return `${s.publicUrl.replace(/\/$/, '')}${SIGNED_MEDIA_PATH}/${orgId}/${encodeURIComponent(messageId)}?${query.toString()}`;
}

/** Throws a 403 naming what is wrong unless the signature is the message's and unexpired. */
export function checkMediaSignature(
  secret: Buffer,
  orgId: string,
  messageId: string,
  q: { expires: number; signature: string },
  now = Date.now(),
): void {
  const expected = Buffer.from(signature(secret, orgId, messageId, q.expires));
  const given = Buffer.from(q.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new ForbiddenError('The media URL’s signature is not valid', 'media_url_invalid');
  }
  if (now >= q.expires * 1000) {
    throw new ForbiddenError(
      'The media URL has expired: fetch the file with an API key at GET /api/messages/:id/media',
      'media_url_expired',
    );
  }
}

/** The signed URL maker of a configuration: the API's and the worker's make the same URLs. */
export function mediaUrls(
  config: {
    http: { publicUrl: string };
    media: { urlSecret: Buffer; urlTtlMs: number };
  },
  now: () => number = Date.now,
): (orgId: string, messageId: string) => string {
  const settings = {
    publicUrl: config.http.publicUrl,
    secret: config.media.urlSecret,
    ttlMs: config.media.urlTtlMs,
  };
  return (orgId, messageId) => signedMediaUrl(settings, orgId, messageId, now());
}

/**
 * A received message's content as shown now: the URL of its file signed afresh, good for the
 * whole lifetime from this read (the one stored was signed on arrival and may have expired).
 * The stored content is left as it is.
 */
export function withFreshMediaUrl(
  content: Record<string, unknown>,
  url: () => string,
): Record<string, unknown> {
  const media = content.media;
  if (typeof media !== 'object' || media === null || Array.isArray(media)) return content;
  if (typeof (media as { url?: unknown }).url !== 'string') return content;
  return { ...content, media: { ...media, url: url() } };
}

/**
 * A `message.incoming` webhook body (`{event, timestamp, data}`) with its file's URL signed
 * afresh, so an attempt made hours after the event was recorded carries a URL that works. The
 * event's `message_id` is Meta's; the file is the one of Waflow's message `in:<message_id>`.
 */
export function withFreshEventMediaUrl(
  body: string,
  orgId: string,
  mediaUrl: (orgId: string, messageId: string) => string,
): string {
  if (!body.includes('"media"')) return body;
  const parsed = JSON.parse(body) as { data?: { message_id?: unknown; content?: unknown } };
  const data = parsed.data;
  const content = data?.content;
  if (typeof data?.message_id !== 'string' || typeof content !== 'object' || content === null) {
    return body;
  }
  const messageId = `in:${data.message_id}`;
  const fresh = withFreshMediaUrl(content as Record<string, unknown>, () =>
    mediaUrl(orgId, messageId),
  );
  return fresh === content
    ? body
    : JSON.stringify({ ...parsed, data: { ...data, content: fresh } });
}
