import { parameterMismatch, templateNotFound, invalidParameter } from './errors';
import { templateId } from './ids';
import { PAYMENT_TEMPLATES } from './payment-templates';
import type { Template, TemplateComponent, TemplateInput } from './types';
import type { TemplateSend } from './validate-template';

/** Every WABA starts with these, so a fresh sandbox can send right away. */
export const DEFAULT_TEMPLATES: TemplateInput[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text: 'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  },
  // The reference's WooCommerce templates, with the parameters the stores' defaults send.
  {
    name: 'order_confirmation',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, your order #{{2}} is confirmed!',
        example: { body_text: [['Asha', '1042']] },
      },
    ],
  },
  {
    name: 'order_shipped',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Your order #{{1}} has been shipped. Track: {{2}}',
        example: { body_text: [['1042', 'https://track.example/1042']] },
      },
    ],
  },
  {
    name: 'track_order',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'HEADER',
        format: 'IMAGE',
        example: { header_handle: ['https://shop.example/img/parcel.jpg'] },
      },
      {
        type: 'BODY',
        text: 'Your order {{1}} has shipped. Tap below to follow it.',
        example: { body_text: [['#1042']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          {
            type: 'URL',
            text: 'Track',
            url: 'https://shop.example/track/{{1}}',
            example: ['https://shop.example/track/1042'],
          },
        ],
      },
    ],
  },
  {
    name: 'payment_reminder',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, a payment of {{2}} is due. Pay here: {{3}}',
        example: { body_text: [['Asha', '₹1,499.00', 'https://pay.example/pl_42']] },
      },
    ],
  },
  {
    name: 'abandoned_cart',
    language: 'en',
    category: 'MARKETING',
    components: [
      {
        type: 'BODY',
        text: 'Hi {{1}}, you left {{2}} in your cart. Want to finish your order?',
        example: { body_text: [['Asha', 'Running shoes']] },
      },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Complete order' },
          { type: 'QUICK_REPLY', text: 'Not now' },
        ],
      },
    ],
  },
  {
    name: 'promo_pending',
    language: 'en',
    category: 'MARKETING',
    status: 'PENDING',
    components: [{ type: 'BODY', text: 'Our summer sale starts on {{1}}!' }],
  },
  {
    name: 'promo_rejected',
    language: 'en',
    category: 'MARKETING',
    status: 'REJECTED',
    components: [{ type: 'BODY', text: 'WIN A FREE PHONE!!! Reply {{1}} now' }],
  },
  ...PAYMENT_TEMPLATES,
  // WooCommerce's default mapping sends it when an order is completed.
  {
    name: 'order_delivered',
    language: 'en',
    category: 'UTILITY',
    components: [
      {
        type: 'BODY',
        text: 'Your order #{{1}} has been delivered!',
        example: { body_text: [['1042']] },
      },
    ],
  },
];

export function toTemplate(wabaId: string, input: TemplateInput): Template {
  return {
    name: input.name,
    parameter_format: 'POSITIONAL',
    components: input.components,
    language: input.language,
    status: input.status ?? 'APPROVED',
    category: input.category ?? 'UTILITY',
    id: templateId(wabaId, input.name, input.language),
  };
}

const placeholders = (text: string | undefined) =>
  new Set(text?.match(/\{\{\s*[^}\s]+\s*\}\}/g) ?? []).size;

interface ButtonRule {
  min: number;
  max: number;
}

/** How many parameters each part of a template takes when sent. */
export function parameterCounts(components: TemplateComponent[]) {
  let header = 0;
  let body = 0;
  const buttons: ButtonRule[] = [];
  for (const c of components) {
    if (c.type === 'HEADER') header = c.format === 'TEXT' ? placeholders(c.text) : 1;
    else if (c.type === 'BODY') body = placeholders(c.text);
    else if (c.type === 'BUTTONS') {
      for (const b of c.buttons) {
        if (b.type === 'URL') {
          const n = placeholders(b.url);
          buttons.push({ min: n, max: n });
        } else if (b.type === 'COPY_CODE') buttons.push({ min: 1, max: 1 });
        // A quick reply may carry a payload parameter or not.
        else if (b.type === 'QUICK_REPLY') buttons.push({ min: 0, max: 1 });
        else buttons.push({ min: 0, max: 0 });
      }
    }
  }
  return { header, body, buttons };
}

const mismatch = (part: string, given: number, expected: number) =>
  parameterMismatch(
    `${part}: number of localizable_params (${given}) does not match the expected number of params (${expected})`,
  );

/** Refuses a template send the way the Cloud API does: missing, unapproved, or miscounted. */
export function checkTemplateSend(templates: Template[], send: TemplateSend): Template {
  const template = templates.find(
    (t) => t.name === send.name && t.language === send.language && t.status === 'APPROVED',
  );
  if (!template) throw templateNotFound(send.name, send.language);
  const expected = parameterCounts(template.components);
  const given = (type: string) =>
    send.components.filter((c) => c.type === type).reduce((n, c) => n + c.parameters.length, 0);
  if (given('header') !== expected.header)
    throw mismatch('header', given('header'), expected.header);
  if (given('body') !== expected.body) throw mismatch('body', given('body'), expected.body);
  const sentButtons = send.components.filter((c) => c.type === 'button');
  for (const b of sentButtons) {
    if (b.index === null || b.index >= expected.buttons.length) {
      throw parameterMismatch(
        `button at index ${b.index}: the template has ${expected.buttons.length} button(s)`,
      );
    }
  }
  expected.buttons.forEach((rule, index) => {
    const n = sentButtons
      .filter((b) => b.index === index)
      .reduce((sum, b) => sum + b.parameters.length, 0);
    if (n < rule.min || n > rule.max) throw mismatch(`button at index ${index}`, n, rule.min);
  });
  return template;
}

const cursor = (t: Template) => Buffer.from(t.id).toString('base64url');

export interface TemplatePageQuery {
  limit?: string;
  after?: string;
  before?: string;
}

/** One page of a WABA's templates with Graph API cursor paging; `nextUrl` builds `next`/`previous`. */
export function templatePage(
  templates: Template[],
  query: TemplatePageQuery,
  pageUrl: (cursor: { after: string } | { before: string }, limit: number) => string,
) {
  const limit = query.limit === undefined ? 25 : Number(query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw invalidParameter('The parameter limit must be an integer from 1 to 1000.');
  const position = (c: string, param: string) => {
    const i = templates.findIndex((t) => cursor(t) === c);
    if (i < 0) throw invalidParameter(`The parameter ${param} is not a valid cursor.`);
    return i;
  };
  let start = 0;
  let end = Math.min(limit, templates.length);
  if (query.after !== undefined) {
    start = position(query.after, 'after') + 1;
    end = Math.min(start + limit, templates.length);
  } else if (query.before !== undefined) {
    end = position(query.before, 'before');
    start = Math.max(0, end - limit);
  }
  const data = templates.slice(start, end);
  const first = data[0];
  const last = data[data.length - 1];
  if (!first || !last) return { data };
  return {
    data,
    paging: {
      cursors: { before: cursor(first), after: cursor(last) },
      ...(end < templates.length ? { next: pageUrl({ after: cursor(last) }, limit) } : {}),
      ...(start > 0 ? { previous: pageUrl({ before: cursor(first) }, limit) } : {}),
    },
  };
}
