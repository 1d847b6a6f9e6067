import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type {
  WooDeliveryDoc,
  WooOrderEvent,
  WooStoreSettings,
} from '../../store/contract/woocommerce';
import { openStore } from '../../store';
import { createPool } from '../../store/postgres/db';
import { loadMigrations } from '../../store/postgres/migrate';
import { MAX_WOO_HANDOFF_ATTEMPTS } from '../../store/woocommerce';
import { defaultWooSettings } from '../../woocommerce/settings';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const settings = (): WooStoreSettings => defaultWooSettings();

function delivery(storeId: string, over: Partial<WooDeliveryDoc> = {}): WooDeliveryDoc {
  const id = randomUUID();
  return {
    _id: `${storeId}:${id}`,
    org_id: 'org-1',
    store_id: storeId,
    order_id: '1042',
    topic: 'order.updated',
    body: '{"id":1042,"status":"processing"}',
    received_at: new Date(Date.now() - 60_000),
    handed_off_at: null,
    attempts: 0,
    last_error: null,
    ...over,
  };
}

const event = (id: string, over: Partial<WooOrderEvent> = {}): WooOrderEvent => ({
  id,
  kind: 'status',
  at: new Date('2025-03-01T10:00:00Z'),
  status: 'processing',
  raw_status: 'processing',
  outcome: 'queued',
  reason: null,
  template: 'order_confirmation',
  message_id: 'm-1',
  delivery_id: 'd-1',
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

  describe('stores', () => {
    it('keeps the secret sealed, generates one when none is given, and scopes by organization', async () => {
      const org = await newOrg();
      const other = await newOrg();
      const given = await store.wooStores.create(org, {
        name: 'Shop',
        site_url: 'https://shop.example',
        secret: 'my-secret',
        settings: settings(),
      });
      expect(given.secret).toBe('my-secret');
      expect(given.store.secret_enc).not.toContain('my-secret');
      expect(store.wooStores.secretOf(given.store)).toBe('my-secret');
      const generated = await store.wooStores.create(org, {
        name: 'Second',
        site_url: 'https://two.example',
        settings: settings(),
      });
      expect(generated.secret.length).toBeGreaterThanOrEqual(32);
      const read = await store.wooStores.get(org, given.store._id);
      expect(read).toEqual(given.store);
      expect(store.wooStores.secretOf(read!)).toBe('my-secret');
      expect(await store.wooStores.get(other, given.store._id)).toBeNull();
      expect((await store.wooStores.byId(given.store._id))?._id).toBe(given.store._id);
      expect((await store.wooStores.list(org)).map((s) => s.name)).toEqual(['Shop', 'Second']);
      expect(await store.wooStores.list(other)).toEqual([]);
    });

    it('updates only the fields given, a new secret sealed, and deletes within the organization', async () => {
      const org = await newOrg();
      const { store: shop } = await store.wooStores.create(org, {
        name: 'Shop',
        site_url: 'https://shop.example',
        settings: settings(),
      });
      const changed = { ...settings(), max_messages_per_order: 2 };
      const updated = await store.wooStores.update(org, shop._id, {
        name: 'Renamed',
        secret: 'rotated',
        settings: changed,
      });
      expect(updated).toMatchObject({ name: 'Renamed', site_url: 'https://shop.example' });
      expect(updated!.settings.max_messages_per_order).toBe(2);
      expect(store.wooStores.secretOf(updated!)).toBe('rotated');
      expect(await store.wooStores.update(await newOrg(), shop._id, { name: 'x' })).toBeNull();
      expect(await store.wooStores.delete(await newOrg(), shop._id)).toBe(false);
      expect(await store.wooStores.delete(org, shop._id)).toBe(true);
      expect(await store.wooStores.get(org, shop._id)).toBeNull();
    });
  });

  describe('stores by site URL', () => {
    const create = async (org: string, site_url: string) =>
      (await store.wooStores.create(org, { name: 'Shop', site_url, settings: settings() })).store;
    const ids = async (url: string) => (await store.wooStores.bySiteUrl(url, 2)).map((s) => s._id);

    it('finds the stores of every organization whose site it is, whatever its scheme, case or trailing slash', async () => {
      const host = `woo-${randomUUID()}.example`;
      const first = await create(await newOrg(), `https://${host.toUpperCase()}/shop/`);
      expect(first.site_key).toBe(`${host}/shop`);
      for (const url of [
        `https://${host}/shop/`,
        `http://${host}/SHOP`,
        `https://${host}:443/shop//`,
      ]) {
        expect(await ids(url)).toEqual([first._id]);
      }
      expect(await ids(`https://${host}/`)).toEqual([]);
      const second = await create(await newOrg(), `https://${host}/shop`);
      expect(await ids(`https://${host}/shop/`)).toEqual([first._id, second._id]);
      expect(await store.wooStores.bySiteUrl(`https://${host}/shop/`, 1)).toHaveLength(1);
      await store.wooStores.update(first.org_id, first._id, { site_url: `https://${host}/` });
      expect(await ids(`https://${host}/shop/`)).toEqual([second._id]);
      expect(await ids(`https://${host}`)).toEqual([first._id]);
    });

    /** Runs the upgrade to this version again, as on a store from before it. */
    async function upgradeAgain() {
      if (kind === 'postgres') {
        const pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
        await pool.query(loadMigrations().find((m) => m.name === 'woo_site_keys')!.sql);
        await pool.end();
      } else {
        await raw.clear('store_upgrades');
        await (await openStore(t.config)).close();
      }
    }

    it('gives stores saved before site keys their key, and the new default templates unless changed', async () => {
      const host = `old-${randomUUID()}.example`;
      const body = (...texts: string[]) => [
        { type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) },
      ];
      const tracking = '{{tracking_url | tracking_number | on its way}}';
      const oldShipped = {
        name: 'order_shipped',
        language: 'en',
        components: body('{{first_name | there}}', '{{order_number}}', tracking),
      };
      const oldDelivered = {
        name: 'order_delivered',
        language: 'en',
        components: body('{{first_name | there}}', '{{order_number}}'),
      };
      const customised = {
        ...oldShipped,
        components: body('{{order_number}}', '{{first_name}}', tracking),
      };
      const old = (id: string, shipped: object, site_url: string) => ({
        _id: id,
        org_id: 'org-old',
        name: 'Old shop',
        site_url,
        // PostgreSQL's column is NOT NULL: the upgrade rewrites whatever it holds.
        ...(kind === 'postgres' ? { site_key: 'stale' } : {}),
        secret_enc: 'sealed',
        account_id: null,
        settings: {
          ...settings(),
          status_templates: {
            processing: settings().status_templates.processing,
            shipped,
            completed: oldDelivered,
          },
        },
        created_at: new Date(),
        updated_at: new Date(),
      });
      const [plain, changed] = [randomUUID(), randomUUID()];
      await raw.insert('woo_stores', [
        old(plain, oldShipped, `HTTPS://${host.toUpperCase()}/`),
        // The key is made alike in SQL and in JavaScript, user info, port and query included.
        old(changed, customised, `http://admin@${host}:80/?lang=en#top`),
      ]);
      await upgradeAgain();
      expect(await ids(`https://${host}`)).toEqual(expect.arrayContaining([plain, changed]));
      const defaults = settings().status_templates;
      const upgraded = await store.wooStores.byId(plain);
      expect(upgraded?.settings.status_templates).toEqual(defaults);
      const kept = await store.wooStores.byId(changed);
      expect(kept?.settings.status_templates.shipped).toEqual(customised);
      expect(kept?.settings.status_templates.completed).toEqual(defaults.completed);
    });
  });

  describe('deliveries', () => {
    it('stores each delivery id once, even within one write', async () => {
      const storeId = randomUUID();
      const a = delivery(storeId);
      const b = delivery(storeId);
      expect(await store.wooDeliveries.saveMany([a, b])).toEqual(new Set([a._id, b._id]));
      const again = delivery(storeId);
      const stored = await store.wooDeliveries.saveMany([{ ...a, body: 'changed' }, again]);
      expect(stored).toEqual(new Set([again._id]));
      expect((await store.wooDeliveries.get(a._id))?.body).toBe(a.body);
    });

    it('lists what is not handed off, oldest first, until handed off or failed too often', async () => {
      const storeId = randomUUID();
      const old = delivery(storeId, { received_at: new Date(Date.now() - 10 * 60_000) });
      const fresh = delivery(storeId, { received_at: new Date() });
      const failing = delivery(storeId, { received_at: new Date(Date.now() - 9 * 60_000) });
      await store.wooDeliveries.saveMany([old, fresh, failing]);
      const mine = async (ms: number) =>
        (await store.wooDeliveries.pending(ms, 10_000))
          .filter((d) => d.store_id === storeId)
          .map((d) => d._id);
      expect(await mine(60_000)).toEqual([old._id, failing._id]);
      for (let i = 0; i < MAX_WOO_HANDOFF_ATTEMPTS; i++) {
        await store.wooDeliveries.markFailed(failing._id, 'Temporal unavailable');
      }
      expect(await store.wooDeliveries.get(failing._id)).toMatchObject({
        attempts: MAX_WOO_HANDOFF_ATTEMPTS,
        last_error: 'Temporal unavailable',
      });
      expect(await mine(60_000)).toEqual([old._id]);
      await store.wooDeliveries.markHandedOff([old._id]);
      expect(await mine(0)).toEqual([fresh._id]);
      expect((await store.wooDeliveries.get(old._id))?.handed_off_at).toBeInstanceOf(Date);
      expect(await store.wooDeliveries.purgeHandedOff(new Date(Date.now() + 1_000))).toBe(1);
      expect(await store.wooDeliveries.get(old._id)).toBeNull();
      expect(await store.wooDeliveries.get(fresh._id)).not.toBeNull();
    });
  });

  describe('orders', () => {
    it('creates the order on its first record, sets fields given, and appends each event once', async () => {
      const org = await newOrg();
      const storeId = randomUUID();
      const first = await store.wooOrders.record(
        org,
        storeId,
        '1042',
        { number: '1042', status: 'processing', total: '25.00', currency: 'USD' },
        event('e1'),
      );
      expect(first).toMatchObject({
        _id: `${storeId}:1042`,
        org_id: org,
        store_id: storeId,
        order_id: '1042',
        number: '1042',
        status: 'processing',
        contact_id: null,
      });
      expect(first.events).toEqual([event('e1')]);
      const second = await store.wooOrders.record(
        org,
        storeId,
        '1042',
        { status: 'shipped' },
        event('e1'),
      );
      expect(second.events).toHaveLength(1);
      const third = await store.wooOrders.record(
        org,
        storeId,
        '1042',
        { contact_id: 'c-1' },
        event('e2', { outcome: 'skipped', reason: 'No opt-in', message_id: null }),
      );
      expect(third).toMatchObject({ status: 'shipped', total: '25.00', contact_id: 'c-1' });
      expect(third.events.map((e) => [e.id, e.outcome, e.reason])).toEqual([
        ['e1', 'queued', null],
        ['e2', 'skipped', 'No opt-in'],
      ]);
      const noEvent = await store.wooOrders.record(org, storeId, '1042', { number: '1042-A' });
      expect(noEvent.events).toHaveLength(2);
      expect(await store.wooOrders.get(org, storeId, '1042')).toEqual(noEvent);
      expect(await store.wooOrders.get(await newOrg(), storeId, '1042')).toBeNull();
      await expect(store.wooOrders.record(await newOrg(), storeId, '1042', {})).rejects.toThrow();
    });

    it("lists a store's orders, most recently updated first, a page at a time", async () => {
      const org = await newOrg();
      const storeId = randomUUID();
      const tick = () => new Promise((r) => setTimeout(r, 5));
      for (const id of ['1', '2', '3']) {
        await store.wooOrders.record(org, storeId, id, {});
        await tick();
      }
      await store.wooOrders.record(org, randomUUID(), '9', {});
      await store.wooOrders.record(org, storeId, '1', { status: 'completed' });
      const page1 = await store.wooOrders.list(org, storeId, { limit: 2 });
      expect(page1.map((o) => o.order_id)).toEqual(['1', '3']);
      const last = page1[1]!;
      const page2 = await store.wooOrders.list(org, storeId, {
        limit: 2,
        before: { updated_at: last.updated_at, id: last._id },
      });
      expect(page2.map((o) => o.order_id)).toEqual(['2']);
      expect(await store.wooOrders.list(await newOrg(), storeId, { limit: 10 })).toEqual([]);
    });
  });
});
