import { randomUUID } from 'node:crypto';
import type { MediaDoc } from '../store/documents';
import { isMediaType } from './limits';

/** What a message's `content.media` and its `message.incoming` event say of its file. */
export interface MediaView {
  mime_type: string;
  /** Null until the file is stored. */
  size: number | null;
  /** Hex; Meta's (from the webhook) until the file is stored. */
  sha256: string | null;
  /** Waflow's own signed, time-limited URL of the file; null where none can be made. */
  url: string | null;
}

/** Meta's webhook gives the sha256 in base64, its media endpoint in hex: hex it is here. */
function hexSha256(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  if (/^[0-9a-f]{64}$/i.test(value)) return value.toLowerCase();
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : null;
}

/**
 * The media record of an inbound message that carries a file (an image, video, audio,
 * document or sticker with Meta's media id), pending its download, and what its content
 * says of it; null for other messages.
 */
export function inboundMedia(
  m: { orgId: string; accountId: string; messageId: string; type: string },
  content: Record<string, unknown>,
  url: string | null,
  now = new Date(),
): { doc: MediaDoc; view: MediaView } | null {
  if (!isMediaType(m.type) || typeof content.id !== 'string') return null;
  const mime =
    typeof content.mime_type === 'string' ? content.mime_type : 'application/octet-stream';
  const doc: MediaDoc = {
    _id: m.messageId,
    org_id: m.orgId,
    account_id: m.accountId,
    direction: 'inbound',
    mime_type: mime,
    filename: typeof content.filename === 'string' ? content.filename : null,
    size: null,
    sha256: null,
    storage_key: `${m.orgId}/inbound/${randomUUID()}`,
    status: 'pending',
    message_id: m.messageId,
    message_type: m.type,
    meta_media_id: content.id,
    attempts: 0,
    next_attempt_at: now,
    error: null,
    created_at: now,
    stored_at: null,
  };
  return { doc, view: { mime_type: mime, size: null, sha256: hexSha256(content.sha256), url } };
}
