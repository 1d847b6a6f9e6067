import type { SendMessageRequest } from '../api/schemas/messages';

/** The part of Meta's message object that depends on the type: `{type, [type]: object}`. */
export interface MetaContent {
  type: string;
  content: Record<string, unknown>;
}

/** Translates Waflow's send request (the product API's shape) into Meta's message object. */
export function toMetaContent(req: SendMessageRequest, defaultLanguage = 'en'): MetaContent {
  switch (req.type) {
    case 'text':
      return {
        type: 'text',
        content: typeof req.text === 'string' ? { body: req.text } : { ...req.text },
      };
    case 'template': {
      const { name, language, components } = req.template;
      const code = typeof language === 'string' ? language : (language?.code ?? defaultLanguage);
      return {
        type: 'template',
        content: {
          name,
          language: { code },
          ...(components.length
            ? {
                components: components.map((c) =>
                  c.index === undefined ? c : { ...c, index: String(c.index) },
                ),
              }
            : {}),
        },
      };
    }
    case 'image':
    case 'video':
    case 'document':
    case 'audio': {
      const { url, link, caption, filename } = mediaOf(req);
      return {
        type: req.type,
        content: {
          link: link ?? url,
          ...(caption && req.type !== 'audio' ? { caption } : {}),
          ...(filename && req.type === 'document' ? { filename } : {}),
        },
      };
    }
    case 'interactive':
      return { type: 'interactive', content: { ...req.interactive } };
  }
}

type MediaRequest = Extract<SendMessageRequest, { type: 'image' | 'video' | 'document' | 'audio' }>;

function mediaOf(req: MediaRequest) {
  switch (req.type) {
    case 'image':
      return req.image;
    case 'video':
      return req.video;
    case 'document':
      return req.document;
    case 'audio':
      return req.audio;
  }
}
