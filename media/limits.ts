/** The types of message that carry a media file. */
export const MEDIA_MESSAGE_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
export type MediaMessageType = (typeof MEDIA_MESSAGE_TYPES)[number];

export const isMediaType = (type: string): type is MediaMessageType =>
  (MEDIA_MESSAGE_TYPES as readonly string[]).includes(type);

const MB = 1024 * 1024;

/** Meta's size limits per type (its "supported media types"); an animated sticker's is 500 KB. */
export const MEDIA_LIMITS: Record<MediaMessageType, number> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  document: 100 * MB,
  sticker: 500 * 1024,
};
