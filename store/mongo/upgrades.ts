import { isDeepStrictEqual } from 'node:util';
import type { Db } from 'mongodb';
import type { ContactDoc, PaymentEventDoc } from '../documents';
import { contactKeys } from './contact-keys';
import { siteKey } from '../woocommerce';
import type { WooStoreDoc } from '../contract/woocommerce';
import { razorpayEventKey } from '../payment-links';
import { insertManyNew, isDuplicateKey, retryBusy } from './duplicate-key';

/**
 * Stored data rewritten once for a later version, the MongoDB twin of the PostgreSQL
 * migrations that change data. Each is done once: a marker in `store_upgrades` says so.
 */
const UPGRADES: { name: string; run: (db: Db) => Promise<void> }[] = [
  { name: 'razorpay_event_keys', run: rekeyRazorpayEvents },
  { name: 'contact_keys', run: addContactKeys },
  { name: 'campaign_pause_reason', run: addCampaignPauseReason },
  { name: 'account_marketing_settings', run: addAccountMarketingSettings },
  { name: 'pricing_and_messaging_limit', run: addPricingAndMessagingLimit },
  { name: 'account_portfolio', run: addAccountPortfolio },
  { name: 'woo_site_keys', run: addWooSiteKeys },
];

export async function runUpgrades(db: Db): Promise<void> {
  const done = db.collection<{ _id: string; at: Date }>('store_upgrades');
  for (const { name, run } of UPGRADES) {
    if (await done.findOne({ _id: name })) continue;
    await run(db);
    // Two processes starting together both upsert the marker: the one refused finds it made.
    await retryBusy(() =>
      done.updateOne({ _id: name }, { $set: { at: new Date() } }, { upsert: true }),
    ).catch((err: unknown) => {
      if (!isDuplicateKey(err)) throw err;
    });
  }
}

/** Migration 0016's twin: accounts stored before it have neither setting, so both are off. */
export async function addAccountMarketingSettings(db: Db): Promise<void> {
  const col = db.collection('accounts');
  for (const field of ['marketing_messages', 'coexistence']) {
    await retryBusy(() =>
      col.updateMany({ [field]: { $exists: false } }, { $set: { [field]: false } }),
    );
  }
}

/**
 * Migration 0011's twin: Razorpay events stored under the unsigned X-Razorpay-Event-Id
 * (`razorpay:<id>`) get the key new ones get, so a redelivery of one is still a duplicate. Of
 * two that now share a key, the one stored first keeps it. Safe to run again.
 */
export async function rekeyRazorpayEvents(db: Db): Promise<void> {
  const col = db.collection<PaymentEventDoc>('payment_events');
  const old = await col
    .find({ gateway: 'razorpay', _id: { $regex: '^razorpay:[^:]*$' } })
    .sort({ received_at: 1, _id: 1 })
    .toArray();
  for (const doc of old) {
    const subject = doc.type.startsWith('payment_link.') ? doc.gateway_link_id : doc.payment_id;
    if (!subject) continue;
    const refused = await retryBusy(() =>
      insertManyNew(col, [{ ...doc, _id: razorpayEventKey(doc.org_id, doc.type, subject) }]),
    );
    if (!refused.size) await retryBusy(() => col.deleteOne({ _id: doc._id }));
  }
}

/**
 * Migration 0015's twin: contacts from before user ids get their unique keys (contact-keys.ts)
 * and null ids. Runs before the indexes on those keys are built. Safe to run again.
 */
export async function addContactKeys(db: Db): Promise<void> {
  const col = db.collection<ContactDoc>('contacts');
  const old = await col
    .find({ phone_key: { $exists: false } }, { projection: { _id: 1, phone_number: 1 } })
    .toArray();
  for (const doc of old) {
    const keys = contactKeys({ _id: doc._id, phone_number: doc.phone_number, user_id: null });
    await retryBusy(() =>
      col.updateOne(
        { _id: doc._id },
        { $set: { ...keys, user_id: null, parent_user_id: null, username: null } },
      ),
    );
  }
}

/** Migration 0017's twin: campaigns stored before it have no pause reason. */
async function addCampaignPauseReason(db: Db): Promise<void> {
  await retryBusy(() =>
    db
      .collection('campaigns')
      .updateMany({ pause_reason: { $exists: false } }, { $set: { pause_reason: null } }),
  );
}

/** Migration 0019's twin: messages get their pricing, accounts their limit, both unknown yet. */
async function addPricingAndMessagingLimit(db: Db): Promise<void> {
  await retryBusy(() =>
    db
      .collection('messages')
      .updateMany({ pricing: { $exists: false } }, { $set: { pricing: null, conversation: null } }),
  );
  await retryBusy(() =>
    db
      .collection('accounts')
      .updateMany(
        { messaging_limit_tier: { $exists: false } },
        { $set: { messaging_limit_tier: null, quality_rating: null, limit_checked_at: null } },
      ),
  );
}

/** Migration 0020's twin: an account's business portfolio, unknown until Graph is read. */
async function addAccountPortfolio(db: Db): Promise<void> {
  await retryBusy(() =>
    db
      .collection('accounts')
      .updateMany({ portfolio_id: { $exists: false } }, { $set: { portfolio_id: null } }),
  );
}

const body = (...texts: string[]) => ({
  components: [{ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) }],
});
const TRACKING = '{{tracking_url | tracking_number | on its way}}';
/** The default shipped and delivered templates before and after the reference's parameters. */
const DEFAULT_TEMPLATES = [
  {
    status: 'shipped',
    old: {
      name: 'order_shipped',
      language: 'en',
      ...body('{{first_name | there}}', '{{order_number}}', TRACKING),
    },
    now: { name: 'order_shipped', language: 'en', ...body('{{order_number}}', TRACKING) },
  },
  {
    status: 'completed',
    old: {
      name: 'order_delivered',
      language: 'en',
      ...body('{{first_name | there}}', '{{order_number}}'),
    },
    now: { name: 'order_delivered', language: 'en', ...body('{{order_number}}') },
  },
];

/**
 * Migration 0023's twin: stores get their `site_key`, and those still on the old default shipped
 * and delivered templates the new ones (a mapping a store changed stays). Safe to run again.
 */
export async function addWooSiteKeys(db: Db): Promise<void> {
  const col = db.collection<WooStoreDoc>('woo_stores');
  const stores = await col
    .find({}, { projection: { _id: 1, site_url: 1, 'settings.status_templates': 1 } })
    .toArray();
  for (const doc of stores) {
    const set: Record<string, unknown> = { site_key: siteKey(doc.site_url) };
    for (const { status, old, now } of DEFAULT_TEMPLATES) {
      if (isDeepStrictEqual(doc.settings?.status_templates?.[status], old)) {
        set[`settings.status_templates.${status}`] = now;
      }
    }
    await retryBusy(() => col.updateOne({ _id: doc._id }, { $set: set }));
  }
}
