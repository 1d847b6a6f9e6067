/**
 * A media message's file: a link to it (`link`, Meta's name, or `url`), or the `id` of a file
 * uploaded to Waflow (POST /api/media), which becomes the account's Meta id as it goes out.
 */
export interface MediaRequest {
  id?: string;
  url?: string;
  link?: string;
  caption?: string;
  filename?: string;
}

export interface TemplateComponentRequest {
  type: 'header' | 'body' | 'button';
  sub_type?: 'url' | 'quick_reply' | 'copy_code' | 'flow' | 'catalog';
  index?: number | string;
  parameters: ({ type: string } & Record<string, unknown>)[];
}

export interface TemplateRequest {
  name: string;
  /** A language code, like en or en_US; the template's English variant when absent. */
  language?: string | { code: string };
  components: TemplateComponentRequest[];
}

interface InteractiveCommon {
  body: { text: string };
  header?: { type: 'text' | 'image' | 'video' | 'document' } & Record<string, unknown>;
  footer?: { text: string };
}

export type InteractiveRequest =
  | (InteractiveCommon & {
      type: 'button';
      action: { buttons: { type: 'reply'; reply: { id: string; title: string } }[] };
    })
  | (InteractiveCommon & {
      type: 'list';
      action: {
        button: string;
        sections: {
          title?: string;
          rows: { id: string; title: string; description?: string }[];
        }[];
      };
    });

/** What a message says, by type, in the product API's shape. */
export type MessageContentRequest =
  | { type: 'text'; text: string | { body: string; preview_url?: boolean } }
  | { type: 'template'; template: TemplateRequest }
  | { type: 'image'; image: MediaRequest }
  | { type: 'video'; video: MediaRequest }
  | { type: 'document'; document: MediaRequest }
  | { type: 'audio'; audio: MediaRequest }
  | { type: 'interactive'; interactive: InteractiveRequest };

/** The part of Meta's message object that depends on the type: `{type, [type]: object}`. */
export interface MetaContent {
  type: string;
  content: Record<string, unknown>;
}

/** Translates Waflow's send request (the product API's shape) into Meta's message object. */
export function toMetaContent(req: MessageContentRequest, defaultLanguage = 'en'): MetaContent {
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
      const { id, url, link, caption, filename } = mediaOf(req);
      return {
        type: req.type,
        content: {
          ...(id ? { id } : { link: link ?? url }),
          ...(caption && req.type !== 'audio' ? { caption } : {}),
          ...(filename && req.type === 'document' ? { filename } : {}),
        },
      };
    }
    case 'interactive':
      return { type: 'interactive', content: { ...req.interactive } };
  }
}

type MediaMessage = Extract<
  MessageContentRequest,
  { type: 'image' | 'video' | 'document' | 'audio' }
>;

function mediaOf(req: MediaMessage): MediaRequest {
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
