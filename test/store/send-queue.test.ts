import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type { NewMessage } from '../../store/contract/messages';
import type { ClaimedSend, SendOutcome } from '../../store/contract/send-queue';
import type { EventDoc, MessageDoc } from '../../store/documents';
import { eventDoc } from '../../store/events';
import { createPool } from '../../store/postgres/db';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const message = (accountId: string, over: Partial<NewMessage> = {}): NewMessage => ({
  _id: randomUUID(),
  org_id: 'org-1',
  account_id: accountId,
  contact_id: 'contact-1',
  direction: 'outbound',
  phone_number: '+919876543210',
  user_id: null,
  type: 'text',
  content: { body: 'hi' },
  origin: 'api',
  origin_id: null,
  request_hash: null,
  wamid: null,
  status: 'queued',
  ...over,
});

const newAccount = () => `acc-${randomUUID()}`;
const ids = (claimed: ClaimedSend[]) => claimed.map((c) => c.message._id);
const LONG = { limit: 100, leaseMs: 60_000 };
const HOUR = 3_600_000;
/** Waits until just after `at`. */
const until = (at: Date) =>
  new Promise((r) => setTimeout(r, Math.max(0, at.getTime() - Date.now()) + 100));

const sentEvent = (id: string, wamid: string, at: Date): EventDoc =>
  eventDoc('org-1', {
    id: `message.sent:${wamid}`,
    type: 'message.sent',
    timestamp: at,
    data: { message_id: id, wamid },
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

  /** Makes the entry's lease run out, as if its owner had died. */
  const expireLease = (id: string) =>
    kind === 'postgres'
      ? raw.update('send_queue', { message_id: id }, { lease_until: new Date(Date.now() - HOUR) })
      : raw.update(
          'messages',
          { _id: id },
          { 'dispatch.lease_until': new Date(Date.now() - HOUR) },
        );

  const expireLane = (accountId: string) =>
    kind === 'postgres'
      ? raw.update(
          'send_lanes',
          { account_id: accountId },
          { lease_until: new Date(Date.now() - HOUR) },
        )
      : raw.update('send_lanes', { _id: accountId }, { lease_until: new Date(Date.now() - HOUR) });

  const enqueued = new Map<string, MessageDoc>();

  /** Enqueues one message at a time, so their order is their enqueue order; returns the ids. */
  async function enqueueEach(accountId: string, cls: 'transactional' | 'bulk', n: number) {
    const docs: string[] = [];
    for (let i = 0; i < n; i++) {
      const [r] = await store.sendQueue.enqueue([message(accountId)], cls);
      enqueued.set(r!.doc._id, r!.doc);
      docs.push(r!.doc._id);
    }
    return docs;
  }

  describe('send queue', () => {
    it('stores each message queued with its entry', async () => {
      const acc = newAccount();
      const at = new Date(Date.now() - 1_000);
      const given = [message(acc), message(acc, { status: 'sent' })];
      const res = await store.sendQueue.enqueue(given, 'bulk', at);
      expect(res.map((r) => r.created)).toEqual([true, true]);
      for (const [i, r] of res.entries()) {
        expect(r.doc).toEqual({
          ...given[i],
          status: 'queued',
          status_history: [{ status: 'queued', at }],
          error: null,
          pricing: null,
          conversation: null,
          created_at: at,
          updated_at: at,
        });
        expect(await store.sendQueue.entry(r.doc._id)).toEqual({
          message_id: r.doc._id,
          account_id: acc,
          class: 'bulk',
          not_before: at,
          owner: null,
          lease_until: null,
          claims: 0,
          held: false,
          retrying: false,
          created_at: at,
        });
        expect(await store.messages.byId(r.doc._id)).toMatchObject({
          _id: r.doc._id,
          status: 'queued',
        });
      }
    });

    it('keeps the message a message replies to, and no context for one that replies to none', async () => {
      const acc = newAccount();
      const reply = message(acc, { context: { message_id: 'wamid.quoted' } });
      const plain = message(acc);
      const [queued] = await store.sendQueue.enqueue([reply, plain], 'transactional');
      expect(queued!.doc.context).toEqual({ message_id: 'wamid.quoted' });
      const claimed = await store.sendQueue.claim(acc, 'a', LONG);
      expect(claimed.map((c) => c.message.context ?? null)).toEqual([
        { message_id: 'wamid.quoted' },
        null,
      ]);
      expect(claimed[1]!.message).not.toHaveProperty('context');
      expect((await store.messages.byId(reply._id))?.context).toEqual({
        message_id: 'wamid.quoted',
      });
    });

    it('is idempotent per id: a stored message is returned as stored and not queued again', async () => {
      const acc = newAccount();
      const m = message(acc);
      await store.sendQueue.enqueue([m], 'transactional');
      const [claimed] = await store.sendQueue.claim(acc, 'a', LONG);
      expect(claimed?.message._id).toBe(m._id);

      const again = await store.sendQueue.enqueue(
        [{ ...m, content: { body: 'other' } }, m, message(acc)],
        'bulk',
      );
      expect(again.map((r) => r.created)).toEqual([false, false, true]);
      expect(again[0]!.doc.content).toEqual({ body: 'hi' });
      // Its entry stays as the claim left it.
      expect(await store.sendQueue.entry(m._id)).toMatchObject({
        class: 'transactional',
        owner: 'a',
        claims: 1,
      });

      const inserted = message(acc);
      await store.messages.insert(inserted);
      const [existing] = await store.sendQueue.enqueue([inserted], 'bulk');
      expect(existing?.created).toBe(false);
      expect(await store.sendQueue.entry(inserted._id)).toBeNull();
    });

    it('stores a message given twice in one call once', async () => {
      const acc = newAccount();
      const m = message(acc);
      const res = await store.sendQueue.enqueue([m, { ...m, content: { body: 'second' } }], 'bulk');
      expect(res.map((r) => r.created)).toEqual([true, false]);
      expect(res[1]!.doc.content).toEqual({ body: 'hi' });
      expect((await store.sendQueue.depths([acc])).get(acc)).toEqual({ transactional: 0, bulk: 1 });
    });

    it('enqueues thousands of messages in one call, claimed in the order given', async () => {
      // A store of its own: FerretDB scans every document on every query.
      const own = await openTestStore(kind);
      try {
        const acc = newAccount();
        const given = Array.from({ length: 4_500 }, () => message(acc, { origin: 'campaign' }));
        const res = await own.store.sendQueue.enqueue(given, 'bulk');
        expect(res.every((r) => r.created)).toBe(true);
        expect(res.map((r) => r.doc._id)).toEqual(given.map((m) => m._id));
        expect((await own.store.sendQueue.depths([acc])).get(acc)).toEqual({
          transactional: 0,
          bulk: 4_500,
        });
        const first = await own.store.sendQueue.claim(acc, 'a', { limit: 3, leaseMs: 60_000 });
        expect(ids(first)).toEqual(given.slice(0, 3).map((m) => m._id));
      } finally {
        await own.handle.close();
      }
    });

    it('claims transactional before bulk, then oldest first, up to the limit', async () => {
      const acc = newAccount();
      const bulk = await enqueueEach(acc, 'bulk', 2);
      const transactional = await enqueueEach(acc, 'transactional', 2);

      const before = Date.now();
      const first = await store.sendQueue.claim(acc, 'a', { limit: 3, leaseMs: 60_000 });
      expect(ids(first)).toEqual([...transactional, bulk[0]]);
      for (const c of first) {
        expect(c.entry).toMatchObject({ message_id: c.message._id, owner: 'a', claims: 1 });
        expect(c.entry.lease_until!.getTime()).toBeGreaterThan(before + 50_000);
        expect(c.message).toEqual(enqueued.get(c.message._id));
      }
      expect(first.map((c) => c.entry.class)).toEqual(['transactional', 'transactional', 'bulk']);
      expect(ids(await store.sendQueue.claim(acc, 'a', LONG))).toEqual([bulk[1]]);
      expect(await store.sendQueue.claim(acc, 'a', LONG)).toEqual([]);
    });

    it('leases: another owner gets nothing while leased, and the entry once its lease ran out', async () => {
      const acc = newAccount();
      const [one, two] = await enqueueEach(acc, 'bulk', 2);
      expect(ids(await store.sendQueue.claim(acc, 'a', LONG))).toEqual([one, two]);
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);

      await expireLease(two!);
      const reclaimed = await store.sendQueue.claim(acc, 'b', LONG);
      expect(ids(reclaimed)).toEqual([two]);
      expect(reclaimed[0]!.entry).toMatchObject({ owner: 'b', claims: 2 });
      expect(await store.sendQueue.entry(one!)).toMatchObject({ owner: 'a', claims: 1 });
    });

    it('leases for leaseMs', async () => {
      const acc = newAccount();
      await enqueueEach(acc, 'bulk', 1);
      const [claimed] = await store.sendQueue.claim(acc, 'a', { limit: 1, leaseMs: 1_000 });
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);
      await until(claimed!.entry.lease_until!);
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toHaveLength(1);
    });

    it('claims only one account', async () => {
      const acc = newAccount();
      const other = newAccount();
      const [mine] = await enqueueEach(acc, 'bulk', 1);
      await enqueueEach(other, 'transactional', 1);
      expect(ids(await store.sendQueue.claim(acc, 'a', LONG))).toEqual([mine]);
      expect(await store.sendQueue.claim(acc, 'a', LONG)).toEqual([]);
      expect(await store.sendQueue.claim(other, 'a', LONG)).toHaveLength(1);
    });

    it('settles sent: the message is sent with its wamid, leaves the queue, its event once', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'transactional', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      const heard: EventDoc[] = [];
      const stop = store.events.onRecorded((events) => heard.push(...events));
      try {
        const at = new Date(Date.now() - 10);
        const wamid = `wamid.${randomUUID()}`;
        const outcome: SendOutcome = { id: id!, kind: 'sent', wamid, at };
        const event = sentEvent(id!, wamid, at);
        await store.sendQueue.settle('a', [outcome], [event]);
        await store.sendQueue.settle('a', [outcome], [event]);

        const doc = (await store.messages.byId(id!))!;
        expect(doc).toMatchObject({ status: 'sent', wamid, error: null });
        expect(doc.status_history).toEqual([
          { status: 'queued', at: expect.any(Date) },
          { status: 'sent', at },
        ]);
        expect(await store.sendQueue.entry(id!)).toBeNull();
        expect(await store.events.get(event._id)).toMatchObject({ type: 'message.sent' });
        expect(heard.filter((e) => e._id === event._id)).toHaveLength(1);
      } finally {
        stop();
      }
    });

    it('settles sent whoever holds the claim, keeping an earlier wamid and a later status', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'bulk', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      await store.messages.setWamid(id!, 'wamid.first');
      await store.messages.applyStatus(id!, 'delivered', new Date());

      await store.sendQueue.settle(
        'b',
        [{ id: id!, kind: 'sent', wamid: 'wamid.second', at: new Date() }],
        [],
      );
      const doc = (await store.messages.byId(id!))!;
      expect(doc).toMatchObject({ status: 'delivered', wamid: 'wamid.first' });
      expect(doc.status_history.map((h) => h.status)).toEqual(['queued', 'delivered', 'sent']);
      expect(await store.sendQueue.entry(id!)).toBeNull();
    });

    it('settles failed: the message is failed with its reason and leaves the queue', async () => {
      const acc = newAccount();
      const [id, other] = await enqueueEach(acc, 'bulk', 2);
      await store.sendQueue.claim(acc, 'a', LONG);
      const reason = { code: 131026, message: 'Message undeliverable' };
      const at = new Date(Date.now() - 10);
      const event = eventDoc('org-1', {
        id: `message.failed:${id}`,
        type: 'message.failed',
        timestamp: at,
        data: { message_id: id, error: reason },
      });
      await store.sendQueue.settle('a', [{ id: id!, kind: 'failed', reason, at }], [event]);

      const doc = (await store.messages.byId(id!))!;
      expect(doc).toMatchObject({ status: 'failed', error: reason });
      expect(doc.status_history.at(-1)).toEqual({ status: 'failed', at, error: reason });
      expect(await store.sendQueue.entry(id!)).toBeNull();
      expect(await store.events.get(event._id)).toMatchObject({ type: 'message.failed' });
      expect(await store.sendQueue.entry(other!)).toMatchObject({ owner: 'a' });
      expect((await store.messages.byId(other!))?.status).toBe('queued');
    });

    it('settles many outcomes of every kind at once', async () => {
      const acc = newAccount();
      const [s, f, l, h] = await enqueueEach(acc, 'bulk', 4);
      await store.sendQueue.claim(acc, 'a', LONG);
      const at = new Date();
      await store.sendQueue.settle(
        'a',
        [
          { id: s!, kind: 'sent', wamid: `wamid.${s}`, at },
          { id: f!, kind: 'failed', reason: { code: 1, message: 'no' }, at },
          { id: l!, kind: 'later', notBefore: new Date(Date.now() - 1_000) },
          { id: h!, kind: 'held' },
        ],
        [sentEvent(s!, `wamid.${s}`, at)],
      );
      expect((await store.messages.byId(s!))?.status).toBe('sent');
      expect((await store.messages.byId(f!))?.status).toBe('failed');
      expect(await store.sendQueue.entry(s!)).toBeNull();
      expect(await store.sendQueue.entry(f!)).toBeNull();
      expect(await store.sendQueue.entry(l!)).toMatchObject({ owner: null, held: false });
      expect(await store.sendQueue.entry(h!)).toMatchObject({ owner: null, held: true });
      expect(ids(await store.sendQueue.claim(acc, 'b', LONG))).toEqual([l]);
    });

    it('settles later for the owner only: released, claimable from notBefore', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'bulk', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      const notBefore = new Date(Date.now() + HOUR);

      await store.sendQueue.settle('b', [{ id: id!, kind: 'later', notBefore }], []);
      expect(await store.sendQueue.entry(id!)).toMatchObject({ owner: 'a', claims: 1 });

      await store.sendQueue.settle('a', [{ id: id!, kind: 'later', notBefore }], []);
      expect(await store.sendQueue.entry(id!)).toMatchObject({
        owner: null,
        lease_until: null,
        not_before: notBefore,
        claims: 0,
        held: false,
      });
      expect((await store.messages.byId(id!))?.status).toBe('queued');
      await expireLease(id!);
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);

      await store.sendQueue.settle('a', [{ id: id!, kind: 'later', notBefore }], []);
      // Released: nobody owns it, so a late `later` from its old owner changes nothing either.
      expect((await store.sendQueue.entry(id!))?.not_before).toEqual(notBefore);
    });

    it('claims a released entry once its notBefore has passed', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'bulk', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      const notBefore = new Date(Date.now() + 1_000);
      await store.sendQueue.settle('a', [{ id: id!, kind: 'later', notBefore }], []);
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);
      await until(notBefore);
      const [again] = await store.sendQueue.claim(acc, 'b', LONG);
      expect(again?.entry).toMatchObject({ message_id: id, owner: 'b', claims: 1 });
    });

    it('defers a message: held, queued and showing until when, until released', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'bulk', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      const until = new Date(Date.now() + 24 * HOUR);
      const reason = { code: 131049, message: 'Marketing cap' };
      await store.sendQueue.settle('a', [{ id: id!, kind: 'deferred', until, reason }], []);
      expect(await store.sendQueue.entry(id!)).toMatchObject({ held: true, retrying: true });
      const deferred = await store.messages.byId(id!);
      expect(deferred).toMatchObject({
        status: 'queued',
        error: null,
        deferred: { until, reason },
      });
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);

      expect(await store.sendQueue.release(id!, new Date())).toBe(true);
      expect((await store.messages.byId(id!))?.deferred ?? null).toBeNull();
      const [claimed] = await store.sendQueue.claim(acc, 'b', LONG);
      expect(claimed?.message._id).toBe(id);
    });

    it('defers a sent message on a 131049 status: back in the queue held, its wamid given up, once', async () => {
      const acc = newAccount();
      const [id, other] = await enqueueEach(acc, 'bulk', 2);
      await store.sendQueue.claim(acc, 'a', LONG);
      const at = new Date();
      await store.sendQueue.settle(
        'a',
        [
          { id: id!, kind: 'sent', wamid: `wamid.${id}`, at },
          { id: other!, kind: 'sent', wamid: `wamid.${other}`, at },
        ],
        [],
      );
      await store.messages.applyStatus(id!, 'delivered', at);
      const reason = { code: 131049, message: 'Marketing cap' };
      const until = new Date(Date.now() + 24 * HOUR);
      const capped = (wamid: string, messageId: string | null = id!) => ({
        orgId: 'org-1',
        wamid,
        messageId,
        at,
        reason,
        until,
      });
      // Two copies in one batch, a status about no message, and one ahead of its send's answer.
      const [queued] = await enqueueEach(acc, 'transactional', 1);
      const results = await store.sendQueue.deferSent([
        capped(`wamid.${id}`),
        capped(`wamid.${id}`),
        capped('wamid.nobody', null),
        capped('wamid.ahead', queued),
      ]);
      expect(results.map((r) => (r && r !== 'ahead' ? r.fresh : r))).toEqual([
        true,
        true,
        null,
        'ahead',
      ]);
      const deferred = (await store.messages.byId(id!))!;
      expect(deferred).toMatchObject({
        status: 'queued',
        wamid: null,
        deferred: { until, reason },
      });
      expect(deferred.status_history.filter((h) => h.status === 'deferred')).toEqual([
        { status: 'deferred', at, error: reason, wamid: `wamid.${id}` },
      ]);
      // Its class comes from its origin: an API send is transactional.
      expect(await store.sendQueue.entry(id!)).toMatchObject({
        class: 'transactional',
        held: true,
        retrying: true,
      });
      expect((await store.messages.byId(other!))?.status).toBe('sent');

      // A later copy finds it deferred; a late status of the given-up send no longer matches it.
      const [again] = await store.sendQueue.deferSent([capped(`wamid.${id}`)]);
      expect(again).toMatchObject({ fresh: false, message: { _id: id } });
      const [late] = await store.messages.applyStatuses([
        { orgId: 'org-1', wamid: `wamid.${id}`, messageId: id!, status: 'read', at, error: null },
      ]);
      expect(late).toBeNull();

      // Released, it is sent again under a new wamid, its status moving forward from queued.
      expect(await store.sendQueue.release(id!, new Date())).toBe(true);
      const claimed = await store.sendQueue.claim(acc, 'b', LONG);
      expect(ids(claimed)).toContain(id);
      await store.sendQueue.settle('b', [{ id: id!, kind: 'sent', wamid: 'wamid.new', at }], []);
      expect(await store.messages.byId(id!)).toMatchObject({ status: 'sent', wamid: 'wamid.new' });
      expect(await store.sendQueue.entry(id!)).toBeNull();
    });

    it('holds for the owner only: held entries are never claimed until released', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'transactional', 1);
      await store.sendQueue.claim(acc, 'a', LONG);

      await store.sendQueue.settle('b', [{ id: id!, kind: 'held' }], []);
      expect(await store.sendQueue.entry(id!)).toMatchObject({ owner: 'a', held: false });

      await store.sendQueue.settle('a', [{ id: id!, kind: 'held' }], []);
      expect(await store.sendQueue.entry(id!)).toMatchObject({
        owner: null,
        lease_until: null,
        held: true,
        retrying: true,
        claims: 1,
      });
      await raw.update(
        kind === 'postgres' ? 'send_queue' : 'messages',
        kind === 'postgres' ? { message_id: id } : { _id: id },
        kind === 'postgres'
          ? { not_before: new Date(Date.now() - HOUR) }
          : { 'dispatch.not_before': new Date(Date.now() - HOUR) },
      );
      expect(await store.sendQueue.claim(acc, 'b', LONG)).toEqual([]);

      const notBefore = new Date(Date.now() - 1_000);
      expect(await store.sendQueue.release(id!, notBefore)).toBe(true);
      expect(await store.sendQueue.entry(id!)).toMatchObject({
        held: false,
        retrying: true,
        claims: 0,
        not_before: notBefore,
      });
      const [claimed] = await store.sendQueue.claim(acc, 'b', LONG);
      expect(claimed?.entry).toMatchObject({ message_id: id, owner: 'b', claims: 1 });
    });

    it('release leaves an entry claimed meanwhile alone, and is false once the entry is gone', async () => {
      const acc = newAccount();
      const [id] = await enqueueEach(acc, 'bulk', 1);
      await store.sendQueue.claim(acc, 'a', LONG);
      await store.sendQueue.settle('a', [{ id: id!, kind: 'held' }], []);
      expect(await store.sendQueue.release(id!, new Date(Date.now() - 1_000))).toBe(true);
      await store.sendQueue.claim(acc, 'b', LONG);

      // Repeated (a retried activity): the new claim keeps its owner and lease.
      expect(await store.sendQueue.release(id!, new Date(Date.now() + HOUR))).toBe(true);
      expect(await store.sendQueue.entry(id!)).toMatchObject({ owner: 'b', claims: 1 });

      await store.sendQueue.settle(
        'b',
        [{ id: id!, kind: 'sent', wamid: 'w', at: new Date() }],
        [],
      );
      expect(await store.sendQueue.release(id!, new Date())).toBe(false);
      expect(await store.sendQueue.release(randomUUID(), new Date())).toBe(false);
    });

    it('lists the accounts with entries due now', async () => {
      const due = newAccount();
      const held = newAccount();
      const later = newAccount();
      const leased = newAccount();
      await enqueueEach(due, 'bulk', 2);
      const [h] = await enqueueEach(held, 'bulk', 1);
      const [l] = await enqueueEach(later, 'bulk', 1);
      const [c] = await enqueueEach(leased, 'bulk', 1);
      for (const acc of [held, later, leased]) await store.sendQueue.claim(acc, 'a', LONG);
      await store.sendQueue.settle(
        'a',
        [
          { id: h!, kind: 'held' },
          { id: l!, kind: 'later', notBefore: new Date(Date.now() + HOUR) },
        ],
        [],
      );

      const accounts = await store.sendQueue.dueAccounts(1_000);
      expect(accounts).toContain(due);
      expect(accounts.filter((a) => a === due)).toHaveLength(1);
      for (const acc of [held, later, leased]) expect(accounts).not.toContain(acc);
      expect(await store.sendQueue.dueAccounts(1)).toHaveLength(1);

      await expireLease(c!);
      expect(await store.sendQueue.dueAccounts(1_000)).toContain(leased);
    });

    it('counts entries per account and class, held ones included', async () => {
      const acc = newAccount();
      const empty = newAccount();
      const [t1] = await enqueueEach(acc, 'transactional', 2);
      const [b1] = await enqueueEach(acc, 'bulk', 3);
      await store.sendQueue.claim(acc, 'a', { limit: 3, leaseMs: 60_000 });
      await store.sendQueue.settle('a', [{ id: t1!, kind: 'held' }], []);

      const depths = await store.sendQueue.depths([acc, empty]);
      expect(depths).toEqual(
        new Map([
          [acc, { transactional: 2, bulk: 3 }],
          [empty, { transactional: 0, bulk: 0 }],
        ]),
      );
      await store.sendQueue.settle(
        'a',
        [{ id: b1!, kind: 'sent', wamid: 'x', at: new Date() }],
        [],
      );
      expect((await store.sendQueue.depths()).get(acc)).toEqual({ transactional: 2, bulk: 2 });
      expect((await store.sendQueue.depths()).has(empty)).toBe(false);
    });
  });

  describe('send lanes', () => {
    it('is held by one owner at a time, renewed by it', async () => {
      const acc = newAccount();
      expect(await store.sendLanes.acquire(acc, 'a', 60_000)).toBe(true);
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(false);
      const [first] = await store.sendLanes.list([acc]);
      expect(await store.sendLanes.acquire(acc, 'a', 120_000)).toBe(true);
      const [renewed] = await store.sendLanes.list([acc]);
      expect(renewed).toMatchObject({ account_id: acc, owner: 'a' });
      expect(renewed!.lease_until!.getTime()).toBeGreaterThan(first!.lease_until!.getTime());
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(false);
    });

    it('is taken over once its lease ran out', async () => {
      const acc = newAccount();
      expect(await store.sendLanes.acquire(acc, 'a', 60_000)).toBe(true);
      await store.sendLanes.report(acc, 'a', 42);
      await expireLane(acc);
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(true);
      expect(await store.sendLanes.list([acc])).toEqual([
        expect.objectContaining({ account_id: acc, owner: 'b', rate: 0 }),
      ]);
      expect(await store.sendLanes.acquire(acc, 'a', 60_000)).toBe(false);
    });

    it('expires after leaseMs', async () => {
      const acc = newAccount();
      expect(await store.sendLanes.acquire(acc, 'a', 300)).toBe(true);
      expect(await store.sendLanes.acquire(acc, 'b', 300)).toBe(false);
      await new Promise((r) => setTimeout(r, 500));
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(true);
    });

    it('is released by its owner only', async () => {
      const acc = newAccount();
      await store.sendLanes.acquire(acc, 'a', 60_000);
      await store.sendLanes.release(acc, 'b');
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(false);
      await store.sendLanes.release(acc, 'a');
      expect(await store.sendLanes.list([acc])).toEqual([
        expect.objectContaining({ owner: null, lease_until: null }),
      ]);
      expect(await store.sendLanes.acquire(acc, 'b', 60_000)).toBe(true);
    });

    it("records its owner's rate only", async () => {
      const acc = newAccount();
      const other = newAccount();
      await store.sendLanes.acquire(acc, 'a', 60_000);
      await store.sendLanes.acquire(other, 'a', 60_000);
      await store.sendLanes.report(acc, 'a', 12.5);
      await store.sendLanes.report(acc, 'b', 99);
      const lanes = await store.sendLanes.list([acc, other]);
      expect(lanes.map((l) => l.account_id)).toEqual([acc, other].sort());
      expect(lanes.find((l) => l.account_id === acc)).toEqual({
        account_id: acc,
        owner: 'a',
        lease_until: expect.any(Date),
        rate: 12.5,
        updated_at: expect.any(Date),
      });
      expect(lanes.find((l) => l.account_id === other)?.rate).toBe(0);
      expect((await store.sendLanes.list()).map((l) => l.account_id)).toEqual(
        expect.arrayContaining([acc, other]),
      );
    });
  });

  describe('counters', () => {
    it('adds to one counter per name and labels, whatever the label order', async () => {
      const name = `sent_${randomUUID().slice(0, 8)}`;
      await store.counters.add([
        { name, labels: { account_id: 'x', code: '200' }, value: 1 },
        { name, labels: { code: '200', account_id: 'x' }, value: 2 },
        { name, labels: { account_id: 'y', code: '200' }, value: 5 },
      ]);
      await store.counters.add([{ name, labels: { code: '200', account_id: 'x' }, value: 0.5 }]);
      await store.counters.add([]);
      const mine = (await store.counters.list()).filter((c) => c.name === name);
      expect(mine).toHaveLength(2);
      expect(mine).toEqual(
        expect.arrayContaining([
          { name, labels: { account_id: 'x', code: '200' }, value: 3.5 },
          { name, labels: { account_id: 'y', code: '200' }, value: 5 },
        ]),
      );
    });

    it('adds concurrent samples without losing any', async () => {
      const name = `calls_${randomUUID().slice(0, 8)}`;
      await Promise.all(
        Array.from({ length: 20 }, () => store.counters.add([{ name, labels: {}, value: 1 }])),
      );
      expect((await store.counters.list()).filter((c) => c.name === name)).toEqual([
        { name, labels: {}, value: 20 },
      ]);
    });
  });
});

describe('postgres send queue', () => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore('postgres');
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  it('never gives one entry to two concurrent claimers', async () => {
    const acc = newAccount();
    const given = Array.from({ length: 2_000 }, () => message(acc));
    await store.sendQueue.enqueue(given, 'bulk');
    const claimedBy = async (owner: string) => {
      const got: string[] = [];
      for (;;) {
        const batch = await store.sendQueue.claim(acc, owner, { limit: 20, leaseMs: 60_000 });
        if (!batch.length) return got;
        got.push(...ids(batch));
      }
    };
    const loops = await Promise.all([
      claimedBy('a'),
      claimedBy('a'),
      claimedBy('b'),
      claimedBy('b'),
    ]);
    const all = loops.flat();
    expect(all).toHaveLength(2_000);
    expect(new Set(all)).toEqual(new Set(given.map((m) => m._id)));
  });

  it('plans each execution of a statement with its parameters, not a plan cached when the tables were small', async () => {
    // A cached generic plan names the parameter ($1); a plan made for the execution, its value.
    const pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
    try {
      await pool.query('PREPARE by_ids(text[]) AS SELECT id FROM messages WHERE id = ANY($1)');
      for (let i = 0; i < 6; i++) await pool.query(`EXECUTE by_ids('{"m-${i}"}')`);
      const res = await pool.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE by_ids('{"m-9"}')`);
      const plan = res.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(plan).toContain('m-9');
      expect(plan).not.toContain('$1');
    } finally {
      await pool.end();
    }
  });

  it('writes each message with its entry or neither', async () => {
    const refused = newAccount();
    const pool = createPool(t.config.postgres.url, t.config.postgres.schema, 1);
    try {
      await pool.query(`
        CREATE FUNCTION refuse_entry() RETURNS trigger AS $$
        BEGIN
          IF NEW.account_id = '${refused}' THEN RAISE EXCEPTION 'entry refused'; END IF;
          RETURN NEW;
        END $$ LANGUAGE plpgsql;
        CREATE TRIGGER refuse_entry BEFORE INSERT ON send_queue
          FOR EACH ROW EXECUTE FUNCTION refuse_entry();`);
      const batch = [message(newAccount()), message(refused)];
      await expect(store.sendQueue.enqueue(batch, 'bulk')).rejects.toThrow('entry refused');
      for (const m of batch) {
        expect(await store.messages.byId(m._id)).toBeNull();
        expect(await store.sendQueue.entry(m._id)).toBeNull();
      }
    } finally {
      await pool.query('DROP TRIGGER IF EXISTS refuse_entry ON send_queue');
      await pool.end();
    }
  });
});
