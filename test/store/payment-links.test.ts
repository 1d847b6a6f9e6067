import { randomUUID } from 'node:crypto';
import { openStore } from '../../store';
import type { Store } from '../../store/contract';
import type { NewPaymentEvent, NewPaymentLink } from '../../store/contract/payments';
import { createPool } from '../../store/postgres/db';
import { loadMigrations } from '../../store/postgres/migrate';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const minutes = (n: number) => new Date(T0 + n * 60_000);

const linkInput = (orgId: string, over: Partial<NewPaymentLink> = {}): NewPaymentLink => ({
  _id: randomUUID(),
  org_id: orgId,
  contact_id: 'contact-1',
  phone_number: '+919876543210',
  account_id: 'acc-1',
  amount: 49_900,
  currency: 'INR',
  description: 'Order #1042',
  gateway: 'razorpay',
  reference_id: null,
  expires_at: minutes(24 * 60),
  remind_at: minutes(12 * 60),
  request_hash: null,
  ...over,
});

const eventInput = (orgId: string, over: Partial<NewPaymentEvent> = {}): NewPaymentEvent => ({
  _id: `razorpay:${randomUUID()}`,
  org_id: orgId,
  gateway: 'razorpay',
  type: 'payment_link.paid',
  kind: 'paid',
  link_id: 'link-1',
  gateway_link_id: 'plink_1',
  payment_id: 'pay_1',
  reason: null,
  ...over,
});

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  let raw: RawStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
    raw = openRawStore(t.config);
  });
  afterAll(async () => {
    await raw?.close();
    await t?.handle.close();
  });

  const newOrg = async () => (await store.organizations.create('Acme'))._id;

  describe('gateway settings', () => {
    it('keeps the keys sealed at rest and replaces them whole', async () => {
      const orgId = await newOrg();
      const keys = {
        key_id: 'rzp_test_abc123',
        key_secret: 'supersecret1',
        webhook_secret: 'whs3cret!',
      };
      const doc = await store.gatewaySettings.put(orgId, 'razorpay', keys, 'test');
      expect(store.gatewaySettings.keysOf(doc)).toEqual(keys);
      const [row] = await raw.find('gateway_settings', { _id: doc._id });
      expect(JSON.stringify(row)).not.toContain('supersecret1');
      expect(JSON.stringify(row)).not.toContain('whs3cret!');

      const live = { ...keys, key_id: 'rzp_live_xyz789' };
      const again = await store.gatewaySettings.put(orgId, 'razorpay', live, 'live');
      expect(again._id).toBe(doc._id);
      expect(again.mode).toBe('live');
      expect(again.created_at.getTime()).toBe(doc.created_at.getTime());
      expect(
        store.gatewaySettings.keysOf((await store.gatewaySettings.get(orgId, 'razorpay'))!),
      ).toEqual(live);
      expect(await store.gatewaySettings.get(orgId, 'stripe')).toBeNull();
      const all = await store.gatewaySettings.listForGateway('razorpay');
      expect(all.filter((d) => d.org_id === orgId)).toHaveLength(1);
      expect(
        (await store.gatewaySettings.listForGateway('stripe')).some((d) => d.org_id === orgId),
      ).toBe(false);
    });
  });

  describe('payment links', () => {
    it('creates once per id, scoped by organization', async () => {
      const orgId = await newOrg();
      const input = linkInput(orgId);
      const first = await store.paymentLinks.create(input, minutes(0));
      expect(first.created).toBe(true);
      expect(first.doc).toMatchObject({
        status: 'created',
        amount: 49_900,
        gateway_link_id: null,
        reminders_sent: 0,
        paid_after_close: false,
      });
      const second = await store.paymentLinks.create({ ...input, amount: 1 }, minutes(1));
      expect(second.created).toBe(false);
      expect(second.doc.amount).toBe(49_900);
      expect((await store.paymentLinks.get(orgId, input._id))?.status_history).toEqual([
        { status: 'created', at: minutes(0), detail: null },
      ]);
      expect(await store.paymentLinks.get(await newOrg(), input._id)).toBeNull();
      expect((await store.paymentLinks.byId(input._id))?._id).toBe(input._id);
    });

    it('records the gateway link once and finds the link by it', async () => {
      const orgId = await newOrg();
      const { doc } = await store.paymentLinks.create(linkInput(orgId));
      const set = await store.paymentLinks.setGatewayLink(doc._id, 'plink_A', 'https://rzp.io/i/a');
      expect(set).toMatchObject({ gateway_link_id: 'plink_A', url: 'https://rzp.io/i/a' });
      const kept = await store.paymentLinks.setGatewayLink(doc._id, 'plink_B', 'https://x');
      expect(kept?.gateway_link_id).toBe('plink_A');
      expect((await store.paymentLinks.byGatewayLinkId(orgId, 'razorpay', 'plink_A'))?._id).toBe(
        doc._id,
      );
      expect(await store.paymentLinks.byGatewayLinkId(orgId, 'stripe', 'plink_A')).toBeNull();
      expect(
        await store.paymentLinks.byGatewayLinkId(await newOrg(), 'razorpay', 'plink_A'),
      ).toBeNull();
    });

    it('moves status only from the allowed ones, with history and fields', async () => {
      const orgId = await newOrg();
      const { doc } = await store.paymentLinks.create(linkInput(orgId), minutes(0));
      const failed = await store.paymentLinks.transition(
        doc._id,
        ['created', 'failed'],
        'failed',
        minutes(5),
        'card declined',
        { payment_id: 'pay_x' },
      );
      expect(failed).toMatchObject({ status: 'failed', payment_id: 'pay_x' });
      const paid = await store.paymentLinks.transition(
        doc._id,
        ['created', 'failed'],
        'paid',
        minutes(6),
        null,
        { payment_id: 'pay_y', paid_at: minutes(6), paid_after_close: false },
      );
      expect(paid).toMatchObject({ status: 'paid', payment_id: 'pay_y', paid_at: minutes(6) });
      // Paid is final here: nothing allows leaving it.
      expect(
        await store.paymentLinks.transition(
          doc._id,
          ['created', 'failed'],
          'expired',
          minutes(9),
          null,
        ),
      ).toBeNull();
      const stored = await store.paymentLinks.get(orgId, doc._id);
      expect(stored?.status).toBe('paid');
      expect(stored?.status_history.map((h) => [h.status, h.at, h.detail])).toEqual([
        ['created', minutes(0), null],
        ['failed', minutes(5), 'card declined'],
        ['paid', minutes(6), null],
      ]);
    });

    it('applies one of two concurrent transitions', async () => {
      const orgId = await newOrg();
      const { doc } = await store.paymentLinks.create(linkInput(orgId));
      const results = await Promise.all([
        store.paymentLinks.transition(doc._id, ['created'], 'expired', minutes(1), null),
        store.paymentLinks.transition(doc._id, ['created'], 'cancelled', minutes(1), null),
      ]);
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await store.paymentLinks.get(orgId, doc._id))?.status_history).toHaveLength(2);
    });

    it('counts each reminder once and records messages', async () => {
      const orgId = await newOrg();
      const { doc } = await store.paymentLinks.create(linkInput(orgId));
      await store.paymentLinks.countReminder(doc._id, 1);
      await store.paymentLinks.countReminder(doc._id, 1);
      await store.paymentLinks.setMessage(doc._id, 'link', 'msg-link');
      await store.paymentLinks.setMessage(doc._id, 'receipt', 'msg-receipt');
      expect(await store.paymentLinks.get(orgId, doc._id)).toMatchObject({
        reminders_sent: 1,
        link_message_id: 'msg-link',
        receipt_message_id: 'msg-receipt',
      });
    });

    it('lists newest first, filtered by status and contact, a page at a time', async () => {
      const orgId = await newOrg();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const { doc } = await store.paymentLinks.create(
          linkInput(orgId, { contact_id: i % 2 ? 'contact-odd' : 'contact-even' }),
          minutes(i),
        );
        ids.push(doc._id);
      }
      await store.paymentLinks.transition(ids[3]!, ['created'], 'paid', minutes(10), null);
      const all = await store.paymentLinks.list(orgId, { limit: 10 });
      expect(all.map((l) => l._id)).toEqual([...ids].reverse());
      const page1 = await store.paymentLinks.list(orgId, { limit: 2 });
      const page2 = await store.paymentLinks.list(orgId, {
        limit: 2,
        before: { created_at: page1[1]!.created_at, id: page1[1]!._id },
      });
      expect(page2.map((l) => l._id)).toEqual([ids[2], ids[1]]);
      expect(
        (await store.paymentLinks.list(orgId, { limit: 10, status: 'paid' })).map((l) => l._id),
      ).toEqual([ids[3]]);
      expect(
        (await store.paymentLinks.list(orgId, { limit: 10, contactId: 'contact-odd' })).map(
          (l) => l._id,
        ),
      ).toEqual([ids[3], ids[1]]);
      expect(await store.paymentLinks.list(await newOrg(), { limit: 10 })).toEqual([]);
    });
  });

  describe('payment events', () => {
    it('stores each gateway event once, even within one call', async () => {
      const orgId = await newOrg();
      const a = eventInput(orgId);
      const b = eventInput(orgId);
      const saved = await store.paymentEvents.saveMany([a, b, a]);
      expect(saved.map((e) => e._id).sort()).toEqual([a._id, b._id].sort());
      expect(await store.paymentEvents.saveMany([a])).toEqual([]);
      expect(await store.paymentEvents.get(a._id)).toMatchObject({
        kind: 'paid',
        link_id: 'link-1',
        processed_at: null,
        attempts: 0,
      });
    });

    it('re-keys Razorpay events stored under the unsigned event id header once each (migration 0011, its MongoDB twin)', async () => {
      const orgId = await newOrg();
      const old = (header: string, over: Partial<NewPaymentEvent> = {}) =>
        eventInput(orgId, { _id: `razorpay:${header}`, gateway_link_id: 'plink_A', ...over });
      const paid = old('Efirst');
      const replay = old('Ereplayed');
      const failed = old('Efailed', {
        type: 'payment.failed',
        kind: 'failed',
        payment_id: 'pay_F',
      });
      const stripe = eventInput(orgId, { _id: `stripe:evt_${randomUUID()}`, gateway: 'stripe' });
      await store.paymentEvents.saveMany([paid], minutes(0));
      await store.paymentEvents.saveMany([replay, failed, stripe], minutes(1));

      await upgradeAgain();
      await upgradeAgain();

      const key = (type: string, subject: string) => `razorpay:${orgId}:${type}:${subject}`;
      expect(await store.paymentEvents.get(key('payment_link.paid', 'plink_A'))).toMatchObject({
        received_at: minutes(0),
        link_id: 'link-1',
      });
      expect(await store.paymentEvents.get(paid._id)).toBeNull();
      // The replay stored under another header keeps its own key: the first took the new one.
      expect(await store.paymentEvents.get(replay._id)).not.toBeNull();
      expect(await store.paymentEvents.get(key('payment.failed', 'pay_F'))).not.toBeNull();
      expect(await store.paymentEvents.get(stripe._id)).not.toBeNull();
      // A redelivery after the upgrade is a duplicate of the event stored before it.
      const redelivered = eventInput(orgId, {
        _id: key('payment_link.paid', 'plink_A'),
        gateway_link_id: 'plink_A',
      });
      expect(await store.paymentEvents.saveMany([redelivered])).toEqual([]);
    });

    /** Runs the re-keying as an upgrade to this version does. */
    async function upgradeAgain() {
      if (kind === 'postgres') {
        const pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
        await pool.query(loadMigrations().find((m) => m.name === 'razorpay_event_keys')!.sql);
        await pool.end();
      } else {
        await raw.clear('store_upgrades');
        await (await openStore(t.config)).close();
      }
    }

    it('keeps unprocessed events pending until processed, and failed ones up to a limit', async () => {
      const orgId = await newOrg();
      const a = eventInput(orgId);
      const b = eventInput(orgId);
      await store.paymentEvents.saveMany([a, b], new Date(Date.now() - 10 * 60_000));
      const pendingIds = async () =>
        (await store.paymentEvents.pending(60_000, 1_000)).map((e) => e._id);
      expect(await pendingIds()).toEqual(expect.arrayContaining([a._id, b._id]));
      expect(
        (await store.paymentEvents.pending(60 * 60_000, 1_000)).map((e) => e._id),
      ).not.toContain(a._id);
      await store.paymentEvents.markProcessed([a._id]);
      expect(await pendingIds()).not.toContain(a._id);
      for (let i = 0; i < 10; i++) await store.paymentEvents.markFailed(b._id, 'Temporal down');
      expect(await pendingIds()).not.toContain(b._id);
      expect(await store.paymentEvents.get(b._id)).toMatchObject({
        attempts: 10,
        last_error: 'Temporal down',
      });
    });
  });
});
