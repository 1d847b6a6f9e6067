import { randomUUID } from 'node:crypto';
import {
  applyCapabilityUpdate,
  applyQualityUpdate,
  messagingWindow,
  refreshMessagingLimit,
  tierUsers,
} from '../../accounts/messaging-limit';
import type { MetaClient } from '../../meta/client';
import type { Store } from '../../store/contract';
import type { NewMessage } from '../../store/contract/messages';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const HOUR = 3_600_000;

const template = (
  accountId: string,
  phone: string,
  over: Partial<NewMessage> = {},
): NewMessage => ({
  _id: randomUUID(),
  org_id: 'org-limit',
  account_id: accountId,
  contact_id: randomUUID(),
  direction: 'outbound',
  phone_number: phone,
  user_id: null,
  type: 'template',
  content: { name: 'promo' },
  origin: 'campaign',
  origin_id: null,
  request_hash: null,
  wamid: `wamid.${randomUUID()}`,
  status: 'sent',
  ...over,
});

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  async function account(wabaId: string, display: string) {
    return store.accounts.create(randomUUID(), {
      name: 'n',
      phoneNumberId: String(Math.floor(Math.random() * 1e12)),
      wabaId,
      accessToken: 't',
      appSecret: 's',
      verifyToken: randomUUID(),
      displayPhoneNumber: display,
    });
  }

  it("stores a status's pricing and conversation in the batched write, and a later one's replaces it", async () => {
    const m = template('acc-pricing', '+15550000001', { status: 'queued', wamid: null });
    await store.messages.insert(m);
    const pricing = {
      billable: true,
      category: 'marketing',
      type: 'regular',
      pricing_model: 'PMP',
    };
    const at = new Date();
    const [doc] = await store.messages.applyStatuses([
      {
        orgId: m.org_id,
        wamid: 'wamid.pricing',
        messageId: m._id,
        status: 'sent',
        at,
        error: null,
        pricing,
        conversation: {
          id: 'conv-1',
          origin_type: 'marketing',
          expires_at: new Date(at.getTime() + 24 * HOUR),
        },
      },
      {
        orgId: m.org_id,
        wamid: 'wamid.pricing',
        messageId: m._id,
        status: 'read',
        at,
        error: null,
      },
    ]);
    expect(doc).toMatchObject({ _id: m._id, status: 'read' });
    const stored = await store.messages.byId(m._id);
    expect(stored?.pricing).toEqual(pricing);
    expect(stored?.conversation).toMatchObject({ id: 'conv-1', origin_type: 'marketing' });
    expect(stored?.conversation?.expires_at).toBeInstanceOf(Date);
  });

  it("keeps the pricing of a status the send's answer already recorded", async () => {
    const m = template('acc-pricing', '+15550000002', { status: 'queued', wamid: null });
    await store.messages.insert(m);
    await store.messages.recordSent(m._id, 'wamid.answered');
    const pricing = {
      billable: false,
      category: 'service',
      type: 'free_customer_service',
      pricing_model: 'PMP',
    };
    await store.messages.applyStatuses([
      {
        orgId: m.org_id,
        wamid: 'wamid.answered',
        messageId: m._id,
        status: 'sent',
        at: new Date(),
        error: null,
        pricing,
      },
    ]);
    const doc = await store.messages.byId(m._id);
    expect(doc?.pricing).toEqual(pricing);
    expect(doc?.status_history.filter((h) => h.status === 'sent')).toHaveLength(1);
  });

  it('counts unique users (contacts) reached by templates in 24 h across the WABA, not replies, failures or older ones', async () => {
    const waba = String(Math.floor(Math.random() * 1e12));
    const a = await account(waba, '+15551110001');
    const b = await account(waba, '+15551110002');
    const [u1, u2, u3, u4, u5, u6] = Array.from({ length: 6 }, () => randomUUID());
    const to = (contactId: string, over: Partial<NewMessage> = {}) => ({
      contact_id: contactId,
      ...over,
    });
    const now = Date.now();
    await store.messages.insert(template(a._id, '+911', to(u1!)), new Date(now - 2 * HOUR));
    // The same user again, under another number (it changed): still one user.
    await store.messages.insert(template(a._id, '+9110', to(u1!)), new Date(now - HOUR));
    await store.messages.insert(template(b._id, '+912', to(u2!)), new Date(now - 3 * HOUR));
    await store.messages.insert(template(b._id, '+913', to(u3!, { type: 'text' })), new Date(now));
    await store.messages.insert(template(b._id, '+914', to(u4!, { status: 'failed' })), new Date());
    await store.messages.insert(template(a._id, '+915', to(u5!)), new Date(now - 25 * HOUR));
    // Two users who share a number (or have none to tell them apart) are two users.
    await store.messages.insert(template(b._id, '+912', to(u6!)), new Date(now - HOUR));
    await store.accounts.setMessagingLimit({ wabaId: waba }, { tier: 'TIER_2K' });

    const w = await messagingWindow(store, (await store.accounts.findById(a._id))!);
    expect(w).toMatchObject({ tier: 'TIER_2K', limit: 2000, used: 3 });
    expect(w.frees_at?.getTime()).toBe(now - 3 * HOUR + 24 * HOUR);
    const since = new Date(now - 24 * HOUR);
    expect(
      (await store.messages.reachedAmong([a._id, b._id], since, [u1!, u3!, u5!, u6!])).sort(),
    ).toEqual([u1!, u6!].sort());
    expect(await store.messages.reachedAmong([a._id], since, [])).toEqual([]);

    // An unlimited portfolio is not counted at all.
    await store.accounts.setMessagingLimit({ wabaId: waba }, { tier: 'TIER_UNLIMITED' });
    expect(await messagingWindow(store, (await store.accounts.findById(a._id))!)).toEqual({
      tier: 'TIER_UNLIMITED',
      limit: Infinity,
      used: null,
      frees_at: null,
    });
  });

  it('applies phone_number_quality_update and business_capability_update values to the WABA', async () => {
    const waba = String(Math.floor(Math.random() * 1e12));
    const a = await account(waba, '+15552220001');
    const b = await account(waba, '+15552220002');
    expect(
      await applyQualityUpdate(store, waba, {
        display_phone_number: '15552220001',
        event: 'FLAGGED',
        current_limit: 'TIER_10K',
        max_daily_conversations_per_business: 'TIER_2K',
      }),
    ).toBe(2);
    let [ra, rb] = [await store.accounts.findById(a._id), await store.accounts.findById(b._id)];
    expect(ra).toMatchObject({ messaging_limit_tier: 'TIER_2K', quality_rating: 'RED' });
    expect(rb).toMatchObject({ messaging_limit_tier: 'TIER_2K', quality_rating: null });

    expect(
      await applyCapabilityUpdate(store, waba, { max_daily_conversations_per_business: 100000 }),
    ).toBe(2);
    ra = await store.accounts.findById(a._id);
    expect(ra?.messaging_limit_tier).toBe('TIER_100K');
    await applyCapabilityUpdate(store, waba, { max_daily_conversation_per_phone: -1 });
    rb = await store.accounts.findById(b._id);
    expect(rb?.messaging_limit_tier).toBe('TIER_UNLIMITED');
    expect(tierUsers(rb!.messaging_limit_tier)).toBe(Infinity);
    expect(
      await applyCapabilityUpdate(store, 'no-such-waba', {
        max_daily_conversations_per_business: 250,
      }),
    ).toBe(0);
  });

  it('shares the count and the tier among the accounts of all WABAs of one business portfolio', async () => {
    const [wabaA, wabaB, other] = Array.from({ length: 3 }, () =>
      String(Math.floor(Math.random() * 1e12)),
    );
    const portfolio = `p${randomUUID()}`;
    const a = await account(wabaA!, '+15553330001');
    const b = await account(wabaB!, '+15553330002');
    const c = await account(other!, '+15553330003');
    // Graph names each WABA's owner when the number is read (on connect, then hourly).
    const meta = (owner: string | null) =>
      ({
        getPhoneNumber: async () => ({ messagingLimitTier: 'TIER_250', qualityRating: 'GREEN' }),
        getWabaOwner: async () => owner && { id: owner, name: 'Acme' },
      }) as unknown as MetaClient;
    await refreshMessagingLimit({ store, meta: meta(portfolio) }, a);
    await refreshMessagingLimit({ store, meta: meta(portfolio) }, b);
    await refreshMessagingLimit({ store, meta: meta(null) }, c);
    const read = async (id: string) => (await store.accounts.findById(id))!;
    expect(await read(a._id)).toMatchObject({ portfolio_id: portfolio, quality_rating: 'GREEN' });
    expect((await read(c._id)).portfolio_id).toBeNull();

    const [u1, u2, u3] = Array.from({ length: 3 }, () => randomUUID());
    await store.messages.insert(template(a._id, '+921', { contact_id: u1! }));
    await store.messages.insert(template(b._id, '+922', { contact_id: u2! }));
    await store.messages.insert(template(b._id, '+921', { contact_id: u1! }));
    await store.messages.insert(template(c._id, '+923', { contact_id: u3! }));
    expect(await messagingWindow(store, await read(a._id))).toMatchObject({ used: 2, limit: 250 });
    expect(await messagingWindow(store, await read(b._id))).toMatchObject({ used: 2 });
    expect(await messagingWindow(store, await read(c._id))).toMatchObject({ used: 1 });

    // A webhook names one WABA; the tier is the portfolio's, so the other WABA's account gets it.
    expect(
      await applyCapabilityUpdate(store, wabaA!, { max_daily_conversations_per_business: 2000 }),
    ).toBe(2);
    expect((await read(b._id)).messaging_limit_tier).toBe('TIER_2K');
    await applyQualityUpdate(store, wabaB!, { max_daily_conversations_per_business: 'TIER_10K' });
    expect((await read(a._id)).messaging_limit_tier).toBe('TIER_10K');
    expect((await read(c._id)).messaging_limit_tier).toBe('TIER_250');
  });
});
