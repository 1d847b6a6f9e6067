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

/** A sticker: a WebP file by link or uploaded id (no caption). */
export interface StickerRequest {
  id?: string;
  url?: string;
  link?: string;
}

export interface LocationRequest {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
}

/** A contact card, as Meta's `contacts[]` shapes it: only the formatted name is required. */
export interface ContactCardRequest {
  name: {
    formatted_name: string;
    first_name?: string;
    last_name?: string;
    middle_name?: string;
    suffix?: string;
    prefix?: string;
  };
  phones?: { phone?: string; type?: string; wa_id?: string }[];
  emails?: { email?: string; type?: string }[];
  urls?: { url?: string; type?: string }[];
  addresses?: ({ type?: string } & Record<string, string | undefined>)[];
  org?: { company?: string; department?: string; title?: string };
  birthday?: string;
}

/** A reaction to a message of the same contact: its Waflow id or wamid; '' removes it. */
export interface ReactionRequest {
  message_id: string;
  emoji: string;
}

interface InteractiveCommon {
  body: { text: string };
  header?: { type: 'text' | 'image' | 'video' | 'document' } & Record<string, unknown>;
  footer?: { text: string };
}

/** Kinds whose only action is Meta's fixed one: a body, and a footer at most. */
interface InteractiveBodyOnly {
  body: { text: string };
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
    })
  | (InteractiveCommon & {
      type: 'cta_url';
      action: { name: 'cta_url'; parameters: { display_text: string; url: string } };
    })
  | (InteractiveBodyOnly & {
      type: 'location_request_message';
      action: { name: 'send_location' };
    })
  | (InteractiveCommon & {
      type: 'flow';
      action: {
        name: 'flow';
        parameters: {
          flow_message_version: '3';
          flow_id?: string;
          flow_name?: string;
          flow_cta: string;
          flow_token?: string;
          mode?: 'draft' | 'published';
          flow_action?: 'navigate' | 'data_exchange';
          flow_action_payload?: { screen: string; data?: Record<string, unknown> };
        };
      };
    })
  | (InteractiveBodyOnly & {
      type: 'address_message';
      action: {
        name: 'address_message';
        parameters: { country: 'IN' | 'SG' } & Record<string, unknown>;
      };
    });

/** The message a message replies to: its Waflow id or wamid, of the same contact. */
export interface ReplyContext {
  message_id: string;
}

/** What a message says, by type, in the product API's shape; any type may reply to a message. */
export type MessageContentRequest = (
  | { type: 'text'; text: string | { body: string; preview_url?: boolean } }
  | { type: 'template'; template: TemplateRequest }
  | { type: 'image'; image: MediaRequest }
  | { type: 'video'; video: MediaRequest }
  | { type: 'document'; document: MediaRequest }
  | { type: 'audio'; audio: MediaRequest }
  | { type: 'sticker'; sticker: StickerRequest }
  | { type: 'location'; location: LocationRequest }
  | { type: 'contacts'; contacts: ContactCardRequest[] }
  | { type: 'reaction'; reaction: ReactionRequest }
  | { type: 'interactive'; interactive: InteractiveRequest }
) & { context?: ReplyContext };

/**
 * The part of Meta's message object that depends on the type: `{type, [type]: object}`, and
 * the message it replies to. `contacts` is an array in Meta's shape: its content is `{contacts}`.
 */
export interface MetaContent {
  type: string;
  content: Record<string, unknown>;
  context?: ReplyContext;
}

/** Meta's message object: `{type, [type]: ..., context?}`, as sent to `/messages`. */
export function metaMessageBody(m: {
  type: string;
  content: Record<string, unknown>;
  context?: ReplyContext | null;
}): Record<string, unknown> {
  return {
    type: m.type,
    [m.type]: m.type === 'contacts' ? m.content.contacts : m.content,
    ...(m.context ? { context: m.context } : {}),
  };
}

/**
 * Translates Waflow's send request (the product API's shape) into Meta's message object.
 * Message ids (a reaction's target, `context`) are passed through: the caller resolves them
 * to wamids first.
 */
export function toMetaContent(req: MessageContentRequest, defaultLanguage = 'en'): MetaContent {
  const meta = typeContent(req, defaultLanguage);
  return req.context ? { ...meta, context: { message_id: req.context.message_id } } : meta;
}

function typeContent(req: MessageContentRequest, defaultLanguage: string): MetaContent {
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
    case 'sticker':
      return {
        type: 'sticker',
        content: req.sticker.id
          ? { id: req.sticker.id }
          : { link: req.sticker.link ?? req.sticker.url },
      };
    case 'location':
      return { type: 'location', content: { ...req.location } };
    case 'contacts':
      return { type: 'contacts', content: { contacts: req.contacts } };
    case 'reaction':
      return { type: 'reaction', content: { ...req.reaction } };
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
