import type { Db } from 'mongodb';
import type { PaymentEventDoc } from '../documents';
import { razorpayEventKey } from '../payment-links';
import { insertManyNew, isDuplicateKey, retryBusy } from './duplicate-key';

/**
 * Stored data rewritten once for a later version, the MongoDB twin of the PostgreSQL
 * migrations that change data. Each is done once: a marker in `store_upgrades` says so.
 */
const UPGRADES: { name: string; run: (db: Db) => Promise<void> }[] = [
  { name: 'razorpay_event_keys', run: rekeyRazorpayEvents },
  { name: 'campaign_pause_reason', run: addCampaignPauseReason },
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

/** Migration 0017's twin: campaigns stored before it have no pause reason. */
async function addCampaignPauseReason(db: Db): Promise<void> {
  await retryBusy(() =>
    db
      .collection('campaigns')
      .updateMany({ pause_reason: { $exists: false } }, { $set: { pause_reason: null } }),
  );
}
