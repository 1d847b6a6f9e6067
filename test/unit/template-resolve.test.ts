import { paymentOutcomes } from '../../payments/outcomes';
import type { Store } from '../../store';
import type { MessageDoc, PaymentLinkDoc, TemplateDoc } from '../../store/documents';
import type { Signals } from '../../store/signals';
import { resolveTemplate } from '../../templates/resolve';

const template = (name: string, language: string, status = 'APPROVED') =>
  ({ name, language, status, account_id: 'acc', org_id: 'org' }) as TemplateDoc;

/** A store holding these templates (sorted as the store sorts them) and recording sends. */
function fakeStore(templates: TemplateDoc[], queued: Partial<MessageDoc>[] = []) {
  return {
    templates: {
      list: (_org: string, f: { accountId?: string; name?: string }) =>
        Promise.resolve(
          templates
            .filter((t) => t.name === f.name && t.account_id === f.accountId)
            .sort((a, b) => a.language.localeCompare(b.language)),
        ),
    },
    contacts: { get: () => Promise.resolve(null) },
    sendQueue: {
      enqueue: (docs: Partial<MessageDoc>[]) => {
        queued.push(...docs);
        return Promise.resolve(docs.map((doc) => ({ doc, created: true })));
      },
    },
  } as unknown as Store;
}

const resolve = (templates: TemplateDoc[], name: string, language?: string) =>
  resolveTemplate(fakeStore(templates), 'org', 'acc', name, language);

describe('resolveTemplate', () => {
  it('uses an exact language as it is', async () => {
    const r = await resolve([template('t', 'en'), template('t', 'en_US')], 't', 'en');
    expect(r).toEqual({ template: template('t', 'en') });
  });

  it("takes a bare language's one approved variant", async () => {
    const r = await resolve(
      [template('t', 'en_US'), template('t', 'en_GB', 'REJECTED')],
      't',
      'en',
    );
    expect(r).toEqual({ template: template('t', 'en_US') });
  });

  it('refuses several approved variants, listing them', async () => {
    const r = await resolve([template('t', 'en_US'), template('t', 'en_GB')], 't', 'en');
    expect(r).toEqual({
      refusal: 'ambiguous',
      message:
        'Template language ambiguous: t is approved in en_GB, en_US; name one of them as the language',
    });
  });

  it('names the status of a template that is not approved', async () => {
    expect(await resolve([template('t', 'en_US', 'PENDING')], 't', 'en_US')).toEqual({
      refusal: 'not_approved',
      message: 'Template not approved: t (en_US) is PENDING',
    });
  });

  it('does not take a variant of another language, nor a region for a regional one', async () => {
    expect(await resolve([template('t', 'es_MX')], 't', 'en')).toMatchObject({
      refusal: 'not_found',
    });
    expect(await resolve([template('t', 'en_US')], 't', 'en_GB')).toEqual({
      refusal: 'not_found',
      message: "Template 't' not found or not approved: the WhatsApp account has none in en_GB",
    });
  });
});

describe('payment-link templates', () => {
  it("go in the account's one approved variant of en", async () => {
    const queued: Partial<MessageDoc>[] = [];
    const store = fakeStore([template('payment_link', 'en_US')], queued);
    const signals = { publish: () => Promise.resolve() } as unknown as Signals;
    const link = {
      _id: 'pl_1',
      org_id: 'org',
      account_id: 'acc',
      contact_id: 'c1',
      phone_number: '+919876543210',
      amount: 149_900,
      currency: 'INR',
      description: 'Order #1042',
      url: 'https://rzp.io/i/abc',
    } as PaymentLinkDoc;
    await paymentOutcomes({ store, signals }).send(link, 'link');
    expect(queued[0]).toMatchObject({
      type: 'template',
      content: { name: 'payment_link', language: { code: 'en_US' } },
    });
  });
});
