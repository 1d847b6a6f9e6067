/**
 * The media WhatsApp's Cloud API takes, as Meta's "Supported media types" table lists them: the
 * MIME types of each kind and their size limits. The simulator refuses an upload past them and
 * Waflow's own upload does too, before a byte reaches Meta.
 */
export const MEDIA_KINDS = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

const KB = 1024;
const MB = 1024 * KB;

/** MIME type -> its kind and the largest file Meta accepts. */
export const WHATSAPP_MEDIA_TYPES: Readonly<Record<string, { kind: MediaKind; maxBytes: number }>> =
  {
    'image/jpeg': { kind: 'image', maxBytes: 5 * MB },
    'image/png': { kind: 'image', maxBytes: 5 * MB },
    'video/mp4': { kind: 'video', maxBytes: 16 * MB },
    'video/3gpp': { kind: 'video', maxBytes: 16 * MB },
    'audio/aac': { kind: 'audio', maxBytes: 16 * MB },
    'audio/amr': { kind: 'audio', maxBytes: 16 * MB },
    'audio/mpeg': { kind: 'audio', maxBytes: 16 * MB },
    'audio/mp4': { kind: 'audio', maxBytes: 16 * MB },
    'audio/ogg': { kind: 'audio', maxBytes: 16 * MB },
    'text/plain': { kind: 'document', maxBytes: 100 * MB },
    'application/pdf': { kind: 'document', maxBytes: 100 * MB },
    'application/msword': { kind: 'document', maxBytes: 100 * MB },
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document': {
      kind: 'document',
      maxBytes: 100 * MB,
    },
    'application/vnd.ms-excel': { kind: 'document', maxBytes: 100 * MB },
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
      kind: 'document',
      maxBytes: 100 * MB,
    },
    'application/vnd.ms-powerpoint': { kind: 'document', maxBytes: 100 * MB },
    'application/vnd.openxmlformats-officedocument.presentationml.presentation': {
      kind: 'document',
      maxBytes: 100 * MB,
    },
    // Animated stickers may reach 500 KB; a static one 100 KB. The bytes alone tell them apart,
    // so the larger limit is applied.
    'image/webp': { kind: 'sticker', maxBytes: 500 * KB },
  };

/** The largest file of any type: what a multipart parser may let through before the type's limit. */
export const MAX_MEDIA_BYTES = Math.max(
  ...Object.values(WHATSAPP_MEDIA_TYPES).map((t) => t.maxBytes),
);

/** `image/jpeg; charset=x` -> `image/jpeg`. */
export const bareMimeType = (type: string) => type.split(';')[0]!.trim().toLowerCase();

/** The kind and limit of a MIME type, or undefined when WhatsApp does not take it. */
export function whatsappMediaType(mimeType: string) {
  return WHATSAPP_MEDIA_TYPES[bareMimeType(mimeType)];
}
