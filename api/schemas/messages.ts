import { z } from 'zod';
import { INTERACTIVE_LIMITS as LIMITS } from '../../meta/interactive';
import { isOneEmoji } from '../../lib/emoji';
import type {
  ContactCardRequest,
  LocationRequest,
  MediaRequest,
  ReactionRequest,
  StickerRequest,
  TemplateComponentRequest,
  TemplateRequest,
} from '../../meta/messages';
import type { MarkReadRequest } from '../../sending/mark-read';
import type { MessageHistoryRequest } from '../../sending/message-history';
import type { SendMessageRequest } from '../../sending/send-message';
import type { MessageConversation } from '../../store/documents';
import { checked, Id, Timestamp } from './common';
import { DefaultCountry } from './country';
import { UserId } from './user-id';

const HttpsUrl = z.url({ protocol: /^https$/, error: 'must be an HTTPS URL' });

/** A file by HTTPS link, or by the id of an upload (POST /api/media): one of the two. */
const linkOrId = {
  id: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('The id of a file uploaded with POST /api/media, in place of a link'),
  url: HttpsUrl.optional(),
  link: HttpsUrl.optional().describe('Same as url, as Meta names it'),
};
type Source = { id?: string; url?: string; link?: string };
const hasSource = (m: Source) => Boolean(m.url || m.link || m.id);
const oneSource = (m: Source) => !(m.id && (m.url || m.link));
const SOURCE_REQUIRED = { error: 'url (or link, or an uploaded id) is required' };
const ONE_SOURCE = { error: 'give either id or url, not both' };

export const Media = checked<MediaRequest>()(
  z
    .object({
      ...linkOrId,
      caption: z.string().max(1024).optional(),
      filename: z.string().max(240).optional(),
    })
    .refine(hasSource, SOURCE_REQUIRED)
    .refine(oneSource, ONE_SOURCE),
);

const TemplateParameter = z.looseObject({
  type: z.enum([
    'text',
    'currency',
    'date_time',
    'image',
    'video',
    'document',
    'location',
    'payload',
    'coupon_code',
    'action',
  ]),
});

export const TemplateComponent = checked<TemplateComponentRequest>()(
  z.object({
    type: z.enum(['header', 'body', 'button']),
    sub_type: z.enum(['url', 'quick_reply', 'copy_code', 'flow', 'catalog']).optional(),
    index: z.union([z.number().int().min(0), z.string().regex(/^\d+$/)]).optional(),
    parameters: z.array(TemplateParameter).default([]),
  }),
);

const Template = checked<TemplateRequest>()(
  z.object({
    name: z.string().min(1).max(512),
    language: z
      .union([z.string().min(2), z.object({ code: z.string().min(2) })])
      .optional()
      .describe(
        'Language code, like en or en_US. A bare language with no template of its own takes ' +
          "the account's only approved variant of it (language_used in the answer says which); " +
          'several approved variants are a 400 listing them. Defaults to an English variant',
      ),
    components: z.array(TemplateComponent).default([]),
  }),
);

const Text = z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() });

const ReplyButton = z.object({
  type: z.literal('reply'),
  reply: z.object({
    id: z.string().min(1).max(LIMITS.buttonId),
    title: z.string().min(1).max(LIMITS.buttonTitle),
  }),
});

const InteractiveBody = { body: z.object({ text: z.string().min(1).max(LIMITS.body) }) };
const Footer = { footer: z.object({ text: z.string().min(1).max(LIMITS.footer) }).optional() };
const InteractiveExtras = {
  header: z
    .looseObject({ type: z.enum(['text', 'image', 'video', 'document']) })
    .optional()
    .describe(`text (up to ${LIMITS.headerText} characters), or image, video or document by link`),
  ...Footer,
};

const ListRow = z.object({
  id: z.string().min(1).max(LIMITS.rowId),
  title: z.string().min(1).max(LIMITS.rowTitle),
  description: z.string().max(LIMITS.rowDescription).optional(),
});

export const Interactive = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('button'),
    ...InteractiveBody,
    ...InteractiveExtras,
    action: z.object({
      buttons: z.array(ReplyButton).min(1).max(LIMITS.buttons, `at most ${LIMITS.buttons} buttons`),
    }),
  }),
  z.object({
    type: z.literal('list'),
    body: z.object({ text: z.string().min(1).max(LIMITS.listBody) }),
    ...InteractiveExtras,
    action: z.object({
      button: z.string().min(1).max(LIMITS.listButton),
      sections: z
        .array(
          z.object({
            title: z
              .string()
              .min(1)
              .max(LIMITS.sectionTitle)
              .optional()
              .describe('Required when there are several sections'),
            rows: z.array(ListRow).min(1).max(LIMITS.rows),
          }),
        )
        .min(1)
        .max(LIMITS.sections)
        .refine((s) => s.reduce((n, sec) => n + sec.rows.length, 0) <= LIMITS.rows, {
          error: `at most ${LIMITS.rows} rows in all sections together`,
        }),
    }),
  }),
  z
    .object({
      type: z.literal('cta_url'),
      ...InteractiveBody,
      ...InteractiveExtras,
      action: z.object({
        name: z.literal('cta_url'),
        parameters: z.object({
          display_text: z.string().min(1).max(LIMITS.ctaDisplayText),
          url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
        }),
      }),
    })
    .describe('A button that opens a URL'),
  z
    .object({
      type: z.literal('location_request_message'),
      ...InteractiveBody,
      ...Footer,
      action: z.object({ name: z.literal('send_location') }),
    })
    .describe('Asks the customer to share their location (it comes back as a location message)'),
  z
    .object({
      type: z.literal('flow'),
      ...InteractiveBody,
      ...InteractiveExtras,
      action: z.object({
        name: z.literal('flow'),
        parameters: z.object({
          flow_message_version: z.literal('3'),
          flow_id: z.string().min(1).optional(),
          flow_name: z.string().min(1).optional(),
          flow_cta: z.string().min(1).max(LIMITS.flowCta),
          flow_token: z.string().min(1).optional(),
          mode: z.enum(['draft', 'published']).optional(),
          flow_action: z.enum(['navigate', 'data_exchange']).optional(),
          flow_action_payload: z
            .object({
              screen: z.string().min(1),
              data: z.record(z.string(), z.unknown()).optional(),
            })
            .optional(),
        }),
      }),
    })
    .describe('Opens a WhatsApp Flow: give exactly one of flow_id or flow_name'),
  z
    .object({
      type: z.literal('address_message'),
      ...InteractiveBody,
      ...Footer,
      action: z.object({
        name: z.literal('address_message'),
        parameters: z.looseObject({ country: z.enum(['IN', 'SG']) }),
      }),
    })
    .describe('Asks for a delivery address (India and Singapore only)'),
]);

export const Sticker = checked<StickerRequest>()(
  z
    .object(linkOrId)
    .refine(hasSource, SOURCE_REQUIRED)
    .refine(oneSource, ONE_SOURCE)
    .describe('A WebP sticker (static up to 100 KB, animated up to 500 KB)'),
);

export const Location = checked<LocationRequest>()(
  z.object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: z.string().min(1).max(1000).optional(),
    address: z.string().min(1).max(1000).optional(),
  }),
);

const Typed = (field: string) =>
  z.object({
    [field]: z.string().min(1).max(2000).optional(),
    type: z.string().max(50).optional(),
  });

export const ContactCard = checked<ContactCardRequest>()(
  z.object({
    name: z.object({
      formatted_name: z.string().trim().min(1).max(1000),
      first_name: z.string().max(1000).optional(),
      last_name: z.string().max(1000).optional(),
      middle_name: z.string().max(1000).optional(),
      suffix: z.string().max(1000).optional(),
      prefix: z.string().max(1000).optional(),
    }),
    phones: z
      .array(Typed('phone').extend({ wa_id: z.string().max(40).optional() }))
      .max(20)
      .optional(),
    emails: z.array(Typed('email')).max(20).optional(),
    urls: z.array(Typed('url')).max(20).optional(),
    addresses: z
      .array(z.record(z.string(), z.string().max(1000)))
      .max(20)
      .optional()
      .describe('street, city, state, zip, country, country_code, type'),
    org: z
      .object({
        company: z.string().max(1000).optional(),
        department: z.string().max(1000).optional(),
        title: z.string().max(1000).optional(),
      })
      .optional(),
    birthday: z.iso.date().optional(),
  }),
);

const MessageRef = z
  .string()
  .min(1)
  .max(200)
  .describe("A message of the same contact: Waflow's id, or its wamid");

export const Reaction = checked<ReactionRequest>()(
  z.object({
    message_id: MessageRef,
    emoji: z
      .string()
      .refine((e) => e === '' || isOneEmoji(e), { error: 'must be one emoji, or empty' })
      .describe('One emoji; an empty string removes the reaction'),
  }),
);

const Context = z
  .object({ message_id: MessageRef })
  .optional()
  .describe('The message this one replies to (shown quoted)');

const common = {
  to: z
    .string()
    .min(1)
    .max(40)
    .optional()
    .describe(
      'E.164 phone number, like +919876543210, or national with a default country; ' +
        'give exactly one of to, user_id or contact_id',
    ),
  user_id: UserId.optional().describe(
    "A contact's business-scoped user id (BSUID), for customers with no phone number",
  ),
  contact_id: Id.optional().describe('A contact, by its id'),
  default_country: DefaultCountry,
  whatsapp_account: z
    .uuid()
    .optional()
    .describe('Account to send from; default account if omitted'),
  context: Context,
};

export const SendMessageBody = checked<SendMessageRequest>()(
  z.discriminatedUnion('type', [
    z.object({
      ...common,
      type: z.literal('text'),
      text: z.union([z.string().min(1).max(4096), Text]),
    }),
    z.object({ ...common, type: z.literal('template'), template: Template }),
    z.object({ ...common, type: z.literal('image'), image: Media }),
    z.object({ ...common, type: z.literal('video'), video: Media }),
    z.object({ ...common, type: z.literal('document'), document: Media }),
    z.object({ ...common, type: z.literal('audio'), audio: Media }),
    z.object({ ...common, type: z.literal('sticker'), sticker: Sticker }),
    z.object({ ...common, type: z.literal('location'), location: Location }),
    z.object({
      ...common,
      type: z.literal('contacts'),
      contacts: z.array(ContactCard).min(1).max(257),
    }),
    z.object({ ...common, type: z.literal('reaction'), reaction: Reaction }),
    z.object({ ...common, type: z.literal('interactive'), interactive: Interactive }),
  ]),
);

export const SendMessageResult = z.object({
  message_id: z.string().nullable().describe("Meta's id (wamid); null while still queued"),
  id: z.string().describe("Waflow's id of the message"),
  status: z.enum(['sent', 'queued']),
  language_used: z
    .string()
    .nullable()
    .describe(
      "The template's language the message went in: the one asked for, or the account's only " +
        'approved variant of it (en_US for en); null for messages that are not templates',
    ),
});

export const PricingView = z
  .object({
    billable: z.boolean().nullable(),
    category: z
      .string()
      .nullable()
      .describe('marketing, utility, authentication, service, marketing_lite...'),
    type: z.string().nullable().describe('regular, free_customer_service, free_entry_point'),
    pricing_model: z.string().nullable().describe('PMP (per message, since July 2025) or CBP'),
  })
  .nullable()
  .describe("Meta's charge for the message, from its statuses; null until a status carried it");

export const ConversationView = z
  .object({
    id: z.string(),
    origin_type: z.string().nullable(),
    expires_at: Timestamp.nullable(),
  })
  .nullable();

export const conversationView = (c: MessageConversation | null) =>
  c && { id: c.id, origin_type: c.origin_type, expires_at: c.expires_at?.toISOString() ?? null };

export const MessageView = z.object({
  id: z.string(),
  message_id: z.string().nullable().describe('wamid'),
  direction: z.enum(['outbound', 'inbound']),
  contact_id: z.string(),
  whatsapp_account_id: z.string(),
  phone_number: z.string().nullable().describe('Null for a customer known only by user_id'),
  user_id: z.string().nullable().describe("The customer's business-scoped user id"),
  type: z.string(),
  content: z.record(z.string(), z.unknown()),
  context: z
    .object({ message_id: z.string().describe('wamid') })
    .nullable()
    .describe('The message this one replies to'),
  origin: z.string(),
  status: z
    .enum(['queued', 'deferred', 'sent', 'delivered', 'read', 'failed'])
    .describe(
      "deferred: refused under Meta's per-user marketing cap (131049), sent again at deferred_until",
    ),
  deferred_until: Timestamp.nullable(),
  status_history: z.array(
    z.object({
      status: z.string(),
      at: Timestamp,
      error: z.object({ code: z.number(), message: z.string() }).optional(),
    }),
  ),
  error: z.object({ code: z.number(), message: z.string() }).nullable(),
  pricing: PricingView,
  conversation: ConversationView,
  created_at: Timestamp,
});

export const MarkReadBody = checked<MarkReadRequest>()(
  z.object({
    typing_indicator: z
      .boolean()
      .optional()
      .describe('Also show the customer a typing indicator (until you answer, or 25 seconds)'),
  }),
);

export const MarkReadResult = z.object({
  id: z.string(),
  message_id: z.string().describe('wamid'),
  status: z.literal('read'),
  typing_indicator: z.boolean(),
});

export const MessageHistoryQuery = checked<MessageHistoryRequest>()(
  z.object({
    contact_id: Id,
    limit: z.coerce.number().int().min(1).max(100).default(50),
    before_time: z.iso.datetime({ offset: true }).optional(),
    before_id: z.string().optional().describe('With before_time: the id of the last message seen'),
  }),
);
