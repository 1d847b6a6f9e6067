import { randomBytes } from 'node:crypto';
import { provisionOrganization } from '../../scripts/provision';
import { accountSettings } from '../../store/accounts';
import { uploadMedia } from '../support/media';
import { createMessagingHarness, type MessagingHarness } from '../support/messaging';
import { waitUntil } from '../support/send-queue';
import { wooDelivery, wooOrder } from '../support/woocommerce';

/**
 * Template headers with media in sequences, WooCommerce mappings and automations, as sends and
 * campaigns have them (test/media/outbound.test.ts): by link or by an uploaded id, whose
 * account's Meta id the simulator receives; an id that is unknown, another organization's or
 * of the wrong kind refused with a 400 naming the field.
 */
jest.setTimeout(240_000);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- assertions read the JSON Meta got
type Json = Record<string, any>;
interface Template {
  name: string;
  language: string;
  components: Json[];
}

const PARCEL = 'https://shop.example/img/parcel.jpg';

/** track_order: an IMAGE header, the order in the body and in the button's URL. */
const trackOrder = (image: Json, order = '1042'): Template => ({
  name: 'track_order',
  language: 'en',
  components: [
    { type: 'header', parameters: [{ type: 'image', image }] },
    { type: 'body', parameters: [{ type: 'text', text: `#${order}` }] },
    { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: order }] },
  ],
});
/** invoice_ready (added to the simulator below): a DOCUMENT header and the order. */
const invoiceReady = (document: Json, order = '1042'): Template => ({
  name: 'invoice_ready',
  language: 'en',
  components: [
    { type: 'header', parameters: [{ type: 'document', document }] },
    { type: 'body', parameters: [{ type: 'text', text: order }] },
  ],
});

describe.each(['postgres', 'mongo'] as const)('template media headers on %s', (kind) => {
  let h: MessagingHarness;
  /** Uploaded ids: the organization's image and PDF, and another organization's image. */
  let png: string;
  let pdf: string;
  let theirs: string;

  beforeAll(async () => {
    h = await createMessagingHarness({ env: { WAFLOW_STORE: kind, SEND_POLL_MS: '100' } });
    h.sim.addTemplate(h.account.waba_id, {
      name: 'invoice_ready',
      language: 'en',
      category: 'UTILITY',
      components: [
        {
          type: 'HEADER',
          format: 'DOCUMENT',
          example: { header_handle: ['https://shop.example/invoice.pdf'] },
        },
        {
          type: 'BODY',
          text: 'Your invoice for order {{1}} is attached.',
          example: { body_text: [['1042']] },
        },
      ],
    });
    const sync = await h.call({ method: 'POST', url: '/api/templates/sync', payload: {} });
    expect(sync.statusCode).toBe(200);
    png = await uploaded(h.org.api_key.key, 'image/png');
    pdf = await uploaded(h.org.api_key.key, 'application/pdf', 'invoice.pdf');
    const other = await provisionOrganization(
      h.app.store,
      { name: 'Other' },
      accountSettings(h.config).sandbox,
    );
    theirs = await uploaded(other.api_key.key, 'image/png');
  });
  afterAll(() => h?.close());

  async function uploaded(apiKey: string, type: string, filename?: string) {
    const res = await uploadMedia(h.app, apiKey, randomBytes(2000), type, {}, filename);
    expect(res.status).toBe(201);
    return res.body.data.id;
  }
  /** The Meta id of the account's upload of a file. */
  const metaIdOf = async (id: string) =>
    (await h.app.store.mediaUploads.get(id, h.account._id))!.meta_media_id;

  let numbers = 0;
  const newPhone = () => `+4474091${kind === 'mongo' ? 5 : 4}${String(++numbers).padStart(4, '0')}`;
  /** The first message the simulator accepted for the customer, once it has. */
  async function receivedBy(phone: string): Promise<Json> {
    const sent = () =>
      h.sim.log.find(
        (e) =>
          e.status === 200 &&
          e.path.endsWith('/messages') &&
          (e.body as Json | null)?.to === phone.slice(1),
      );
    await waitUntil(`a message to ${phone}`, async () => sent() !== undefined);
    return sent()!.body as Json;
  }
  const headerOf = (body: Json): unknown => body.template.components[0].parameters[0];

  /** Ids refused, with what the refusal says (the header's parameter, under `prefix`). */
  const refusals = (prefix: string) => [
    {
      what: 'an unknown id',
      template: trackOrder({ id: 'nope' }),
      message: `${prefix}.components[0].parameters[0].image.id: no uploaded media 'nope'`,
    },
    {
      what: "another organization's id",
      template: trackOrder({ id: theirs }),
      message: `${prefix}.components[0].parameters[0].image.id: no uploaded media '${theirs}'`,
    },
    {
      what: 'a PDF as the image',
      template: trackOrder({ id: pdf }),
      message: `${prefix}.components[0].parameters[0].image.id: media '${pdf}' is application/pdf, not an image`,
    },
    {
      what: 'an image as the document',
      template: invoiceReady({ id: png }),
      message: `${prefix}.components[0].parameters[0].document.id: media '${png}' is image/png, not a document`,
    },
  ];

  describe('sequences', () => {
    async function subscribe(template: Template) {
      const created = await h.call({
        method: 'POST',
        url: '/api/sequences',
        payload: {
          name: 'With a picture',
          steps: [{ delay: '0m', type: 'anytime', message: { type: 'template', template } }],
        },
      });
      expect(created.statusCode).toBe(201);
      const phone = newPhone();
      const contact = await h.call({
        method: 'POST',
        url: '/api/contacts',
        payload: { phone_number: phone, name: 'Asha', opted_in: true },
      });
      expect(contact.statusCode).toBe(201);
      const res = await h.call({
        method: 'POST',
        url: `/api/sequences/${created.json().data.id}/subscribers`,
        payload: { phone_numbers: [phone] },
      });
      expect(res.json().data.subscribed).toBe(1);
      return receivedBy(phone);
    }

    it("sends an IMAGE header given by uploaded id with the account's Meta id, and one by link with the link", async () => {
      const byId = await subscribe(trackOrder({ id: png }));
      expect(byId.template.name).toBe('track_order');
      expect(headerOf(byId)).toEqual({ type: 'image', image: { id: await metaIdOf(png) } });
      const byLink = await subscribe(trackOrder({ link: PARCEL }));
      expect(headerOf(byLink)).toEqual({ type: 'image', image: { link: PARCEL } });
    });

    it("sends a DOCUMENT header given by uploaded id with the account's Meta id", async () => {
      const body = await subscribe(invoiceReady({ id: pdf, filename: 'invoice.pdf' }));
      expect(headerOf(body)).toEqual({
        type: 'document',
        document: { id: await metaIdOf(pdf), filename: 'invoice.pdf' },
      });
    });

    it("refuses an unknown id, another organization's, or media of the wrong kind with a 400 naming the field", async () => {
      for (const r of refusals('steps.0.message.template')) {
        const res = await h.call({
          method: 'POST',
          url: '/api/sequences',
          payload: {
            name: 'Refused',
            steps: [
              {
                delay: '0m',
                type: 'anytime',
                message: { type: 'template', template: r.template },
              },
            ],
          },
        });
        expect([r.what, res.statusCode]).toEqual([r.what, 400]);
        expect(res.json().message).toContain(r.message);
      }
    });
  });

  describe('automations', () => {
    let keywords = 0;
    async function setOff(template: Template) {
      const keyword = `picture${kind}${++keywords}`;
      const created = await h.call({
        method: 'POST',
        url: '/api/automations',
        payload: {
          name: `Picture ${keyword}`,
          trigger: { type: 'keyword', keywords: [keyword] },
          steps: [{ id: 'send', type: 'send_message', message: { type: 'template', template } }],
        },
      });
      expect(created.statusCode).toBe(201);
      const phone = newPhone();
      await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: phone.slice(1),
        text: keyword,
      });
      await h.settle();
      return receivedBy(phone);
    }

    it("sends an IMAGE header given by uploaded id with the account's Meta id, and one by link with the link", async () => {
      const byId = await setOff(trackOrder({ id: png }));
      expect(headerOf(byId)).toEqual({ type: 'image', image: { id: await metaIdOf(png) } });
      const byLink = await setOff(trackOrder({ link: PARCEL }));
      expect(headerOf(byLink)).toEqual({ type: 'image', image: { link: PARCEL } });
    });

    it("sends a DOCUMENT header given by uploaded id with the account's Meta id", async () => {
      const body = await setOff(invoiceReady({ id: pdf, filename: 'invoice.pdf' }));
      expect(headerOf(body)).toEqual({
        type: 'document',
        document: { id: await metaIdOf(pdf), filename: 'invoice.pdf' },
      });
    });

    it("refuses an unknown id, another organization's, or media of the wrong kind with a 400 naming the field", async () => {
      for (const r of refusals('steps[0] (send): message.template')) {
        const res = await h.call({
          method: 'POST',
          url: '/api/automations',
          payload: {
            name: 'Refused',
            trigger: { type: 'keyword', keywords: ['refused'] },
            steps: [
              {
                id: 'send',
                type: 'send_message',
                message: { type: 'template', template: r.template },
              },
            ],
          },
        });
        expect([r.what, res.statusCode]).toEqual([r.what, 400]);
        expect(res.json().message).toContain(r.message);
      }
    });
  });

  describe('WooCommerce mappings', () => {
    const BASE = '/api/integrations/woocommerce/stores';
    const mapping = (template: Template) => ({
      ...template,
      components: template.components.map((c) =>
        c.type === 'header'
          ? c
          : { ...c, parameters: [{ type: 'text', text: '{{order_number}}' }] },
      ),
    });
    const createStore = (processing: Template) =>
      h.call({
        method: 'POST',
        url: BASE,
        payload: {
          name: 'Shop',
          site_url: 'https://shop.example',
          status_templates: { processing },
        },
      });
    /** A paid order from a new customer, to a store that sends `processing` as mapped. */
    async function ordered(processing: Template) {
      const res = await createStore(processing);
      expect(res.statusCode).toBe(201);
      const shop = res.json().data as { id: string; webhook_secret: string };
      const phone = newPhone();
      const order = wooOrder({ billing: { ...wooOrder().billing, phone } });
      const posted = await h.app.inject(
        wooDelivery({ storeId: shop.id, secret: shop.webhook_secret, body: order }),
      );
      expect(posted.statusCode).toBe(200);
      await h.app.woo.intake.idle();
      return { body: await receivedBy(phone), order };
    }

    it("sends an IMAGE header given by uploaded id with the account's Meta id, and one by link (a placeholder) with the link", async () => {
      const byId = await ordered(mapping(trackOrder({ id: png })));
      expect(headerOf(byId.body)).toEqual({ type: 'image', image: { id: await metaIdOf(png) } });
      expect(byId.body.template.components[1].parameters[0].text).toBe(String(byId.order.id));
      // The order's first item's picture.
      const byLink = await ordered(mapping(trackOrder({ link: '{{first_item_image}}' })));
      expect(headerOf(byLink.body)).toEqual({
        type: 'image',
        image: { link: 'https://shop.example/img/shoes.jpg' },
      });
    });

    it("sends a DOCUMENT header given by uploaded id with the account's Meta id", async () => {
      const { body } = await ordered(mapping(invoiceReady({ id: pdf, filename: 'invoice.pdf' })));
      expect(headerOf(body)).toEqual({
        type: 'document',
        document: { id: await metaIdOf(pdf), filename: 'invoice.pdf' },
      });
    });

    it("refuses a mapping with an unknown id, another organization's, or media of the wrong kind with a 400 naming the field", async () => {
      for (const r of refusals('status_templates.processing')) {
        const res = await createStore(r.template);
        expect([r.what, res.statusCode]).toEqual([r.what, 400]);
        expect(res.json().message).toContain(r.message);
      }
      // A change to a store's mappings too.
      const shop = await createStore(mapping(trackOrder({ id: png })));
      const changed = await h.call({
        method: 'PATCH',
        url: `${BASE}/${shop.json().data.id}`,
        payload: { status_templates: { shipped: mapping(trackOrder({ id: pdf })) } },
      });
      expect(changed.statusCode).toBe(400);
      expect(changed.json().message).toContain(
        `status_templates.shipped.components[0].parameters[0].image.id: media '${pdf}' is application/pdf`,
      );
    });
  });
});
