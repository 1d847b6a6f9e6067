import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type { NewMessage, StatusUpdate } from '../../store/contract/messages';
import type { MessageStatus } from '../../store/documents';
import { statusTarget } from '../../store/messages';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const message = (over: Partial<NewMessage> = {}): NewMessage => ({
  _id: randomUUID(),
  org_id: 'org-1',
  account_id: 'acc-1',
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

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  describe('messages', () => {
    it('is stored once per id', async () => {
      const m = message();
      expect((await store.messages.insert(m)).created).toBe(true);
      const again = await store.messages.insert({ ...m, content: { body: 'other' } });
      expect(again.created).toBe(false);
      expect(again.doc.content).toEqual({ body: 'hi' });
    });

    it('keeps the first wamid', async () => {
      const m = message();
      await store.messages.insert(m);
      await store.messages.setWamid(m._id, 'wamid.1');
      await store.messages.setWamid(m._id, 'wamid.2');
      expect((await store.messages.byWamid('wamid.1'))?._id).toBe(m._id);
      expect(await store.messages.byWamid('wamid.2')).toBeNull();
      expect((await store.messages.byId(m._id))?.wamid).toBe('wamid.1');
    });

    it('records sent with its wamid', async () => {
      const m = message();
      await store.messages.insert(m);
      const at = new Date('2026-01-01T00:00:01Z');
      await store.messages.recordSent(m._id, 'wamid.sent', at);
      const doc = (await store.messages.byWamid('wamid.sent'))!;
      expect(doc).toMatchObject({ _id: m._id, status: 'sent', wamid: 'wamid.sent' });
      expect(doc.status_history.at(-1)).toEqual({ status: 'sent', at });
    });

    it('moves statuses forward only and records each once, whatever the order', async () => {
      const m = message();
      await store.messages.insert(m);
      const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
      await store.messages.applyStatus(m._id, 'delivered', t(2));
      await store.messages.applyStatus(m._id, 'sent', t(1));
      await store.messages.applyStatus(m._id, 'delivered', t(2));
      await store.messages.applyStatus(m._id, 'read', t(3));
      await store.messages.applyStatus(m._id, 'delivered', t(2));
      const doc = (await store.messages.get('org-1', m._id))!;
      expect(doc.status).toBe('read');
      expect(doc.status_history.map((h) => h.status)).toEqual([
        'queued',
        'delivered',
        'sent',
        'read',
      ]);
      expect(doc.status_history[1]).toEqual({ status: 'delivered', at: t(2) });
    });

    it('ends in failed with the error, and nothing moves it on', async () => {
      const m = message();
      await store.messages.insert(m);
      await store.messages.applyStatus(m._id, 'sent', new Date());
      const error = { code: 131047, message: 'Re-engagement message' };
      await store.messages.applyStatus(m._id, 'failed', new Date(), error);
      await store.messages.applyStatus(m._id, 'delivered', new Date());
      const doc = (await store.messages.get('org-1', m._id))!;
      expect(doc).toMatchObject({ status: 'failed', error });
      expect(doc.status_history.at(-2)).toMatchObject({ status: 'failed', error });
    });

    it('applies statuses arriving concurrently, repeated and in any order, atomically', async () => {
      const ids: string[] = [];
      // The embedded FerretDB scans the collection on every query: fewer messages keep its run
      // within the timeout on a busy machine, and still race every update against the others.
      const count = kind === 'mongo' ? 60 : 200;
      for (let i = 0; i < count; i++) {
        const m = message({ contact_id: `concurrent-${kind}` });
        ids.push(m._id);
        await store.messages.insert(m);
      }
      const at: Record<MessageStatus, Date> = {
        queued: new Date('2026-04-01T10:00:00Z'),
        sent: new Date('2026-04-01T10:00:01Z'),
        delivered: new Date('2026-04-01T10:00:02Z'),
        read: new Date('2026-04-01T10:00:03Z'),
        failed: new Date('2026-04-01T10:00:04Z'),
      };
      const forward: MessageStatus[] = ['sent', 'delivered', 'read'];
      /** Applies every update at once; each must succeed (all settle before a failure shows). */
      const applyAll = async (
        all: { id: string; status: MessageStatus }[],
        error?: { code: number; message: string },
      ) => {
        const settled = await Promise.allSettled(
          all.map((u) =>
            store.messages.applyStatus(
              u.id,
              u.status,
              at[u.status],
              u.status === 'failed' ? error : null,
            ),
          ),
        );
        const failures = settled.flatMap((r) =>
          r.status === 'rejected' ? [String(r.reason)] : [],
        );
        expect({ failed: failures.length, first: failures[0] }).toEqual({
          failed: 0,
          first: undefined,
        });
      };
      // Every status of every message twice (Meta redelivers), all at once, shuffled.
      const updates = shuffle(
        ids.flatMap((id) => [...forward, ...forward].map((status) => ({ id, status }))),
      );
      await applyAll(updates);

      const history = async (id: string) => {
        const doc = (await store.messages.get('org-1', id))!;
        return {
          status: doc.status,
          error: doc.error,
          history: doc.status_history.map((h) => h.status).sort(),
          times: Object.fromEntries(doc.status_history.map((h) => [h.status, h.at])),
        };
      };
      const afterRead = await Promise.all(ids.map(history));
      for (const doc of afterRead) {
        expect(doc).toEqual({
          status: 'read',
          error: null,
          history: ['delivered', 'queued', 'read', 'sent'],
          times: expect.objectContaining({ sent: at.sent, delivered: at.delivered, read: at.read }),
        });
      }

      // Then a failure arrives among late duplicates: failed is final, whatever came around it.
      const error = { code: 131026, message: 'Message undeliverable' };
      const late = shuffle(
        ids.flatMap((id) => [
          { id, status: 'failed' as const },
          { id, status: 'failed' as const },
          ...forward.map((status) => ({ id, status })),
        ]),
      );
      await applyAll(late, error);
      // And nothing moves it back afterwards.
      await applyAll(ids.map((id) => ({ id, status: 'read' as const })));

      const afterFailed = await Promise.all(ids.map(history));
      for (const doc of afterFailed) {
        expect(doc).toMatchObject({
          status: 'failed',
          error,
          history: ['delivered', 'failed', 'queued', 'read', 'sent'],
        });
      }
    }, 300_000);

    describe('applyStatuses', () => {
      const t = (s: number) => new Date(Date.UTC(2026, 1, 1, 0, 0, s));
      const AT = { sent: t(1), delivered: t(2), read: t(3), failed: t(4) } as const;
      const failure = { code: 131026, message: 'Message undeliverable' };
      let n = 0;
      /** A sent message with a wamid of its own. */
      async function sentMessage(over: Partial<NewMessage> = {}) {
        const m = message({ wamid: `wamid.batch.${kind}.${n++}`, status: 'sent', ...over });
        await store.messages.insert(m, t(0));
        return m;
      }
      const update = (
        m: { wamid: string | null },
        status: StatusUpdate['status'],
        over: Partial<StatusUpdate> = {},
      ): StatusUpdate => ({
        orgId: 'org-1',
        wamid: m.wamid!,
        messageId: null,
        status,
        at: AT[status],
        error: status === 'failed' ? failure : null,
        ...over,
      });
      const statuses = (doc: { status_history: { status: string }[] } | null | undefined) =>
        doc?.status_history.map((h) => h.status);

      it('folds several statuses of one message, out of order and repeated, in one batch', async () => {
        const a = await sentMessage();
        const b = await sentMessage();
        const updates = [
          update(a, 'read'),
          update(b, 'delivered'),
          update(a, 'delivered'),
          update(a, 'read', { at: t(9) }),
          update(a, 'sent'),
          update(b, 'delivered'),
        ];
        const docs = await store.messages.applyStatuses(updates);
        expect(docs.map((d) => d?._id)).toEqual([a._id, b._id, a._id, a._id, a._id, b._id]);
        expect(docs[0]).toEqual(docs[4]);

        const stored = (await store.messages.get('org-1', a._id))!;
        expect(docs[0]).toEqual(statusTarget(stored));
        expect(stored.status).toBe('read');
        // `sent` was in the history already; the first `read` of the batch is the one kept.
        expect(stored.status_history).toEqual([
          { status: 'sent', at: t(0) },
          { status: 'read', at: AT.read },
          { status: 'delivered', at: AT.delivered },
        ]);
        const other = (await store.messages.get('org-1', b._id))!;
        expect(other.status).toBe('delivered');
        expect(statuses(other)).toEqual(['sent', 'delivered']);
      });

      it('changes nothing for statuses a previous batch applied', async () => {
        const m = await sentMessage();
        await store.messages.applyStatuses([update(m, 'delivered')]);
        const before = (await store.messages.get('org-1', m._id))!;
        const again = await store.messages.applyStatuses([
          update(m, 'delivered'),
          update(m, 'sent'),
          update(m, 'delivered'),
        ]);
        const target = statusTarget(before);
        expect(again).toEqual([target, target, target]);
        expect(await store.messages.get('org-1', m._id)).toEqual(before);

        await store.messages.applyStatuses([update(m, 'read'), update(m, 'delivered')]);
        const after = (await store.messages.get('org-1', m._id))!;
        expect(after.status).toBe('read');
        expect(statuses(after)).toEqual(['sent', 'delivered', 'read']);
      });

      it('ends in failed with its error, whatever comes with it or after', async () => {
        const m = await sentMessage();
        const [target] = await store.messages.applyStatuses([
          update(m, 'failed'),
          update(m, 'delivered'),
          update(m, 'failed', { error: { code: 1, message: 'later copy' } }),
        ]);
        expect(target).toMatchObject({ _id: m._id, status: 'failed' });
        const doc = await store.messages.get('org-1', m._id);
        expect(doc).toMatchObject({ status: 'failed', error: failure });
        expect(doc!.status_history).toEqual([
          { status: 'sent', at: t(0) },
          { status: 'failed', at: AT.failed, error: failure },
          { status: 'delivered', at: AT.delivered },
        ]);
        await store.messages.applyStatuses([update(m, 'read'), update(m, 'delivered')]);
        const after = (await store.messages.get('org-1', m._id))!;
        expect(after).toMatchObject({ status: 'failed', error: failure });
        expect(statuses(after)).toEqual(['sent', 'failed', 'delivered', 'read']);
      });

      it('finds a message by our id when its wamid is not recorded yet, and records it', async () => {
        const m = message();
        await store.messages.insert(m, t(0));
        const wamid = `wamid.early.${kind}.${n++}`;
        const docs = await store.messages.applyStatuses([
          update({ wamid }, 'delivered', { messageId: m._id }),
          update({ wamid }, 'sent', { messageId: m._id }),
        ]);
        expect(docs.map((d) => d?._id)).toEqual([m._id, m._id]);
        expect(docs[0]).toMatchObject({ wamid, status: 'delivered' });
        expect((await store.messages.byWamid(wamid))?._id).toBe(m._id);
        expect(statuses(await store.messages.get('org-1', m._id))).toEqual([
          'queued',
          'delivered',
          'sent',
        ]);

        // A wamid already recorded is never replaced.
        const known = await sentMessage();
        const [doc] = await store.messages.applyStatuses([
          update({ wamid: `wamid.other.${kind}.${n++}` }, 'read', { messageId: known._id }),
        ]);
        expect(doc).toMatchObject({ _id: known._id, wamid: known.wamid, status: 'read' });
      });

      it("touches no other organization's message and returns null for what it cannot find", async () => {
        const m = await sentMessage();
        const docs = await store.messages.applyStatuses([
          update(m, 'read', { orgId: 'org-2' }),
          update({ wamid: `wamid.none.${kind}.${n++}` }, 'read', {
            orgId: 'org-2',
            messageId: m._id,
          }),
          update({ wamid: `wamid.none.${kind}.${n++}` }, 'read'),
          update({ wamid: `wamid.none.${kind}.${n++}` }, 'read', { messageId: 'no-such-id' }),
        ]);
        expect(docs).toEqual([null, null, null, null]);
        const doc = (await store.messages.get('org-1', m._id))!;
        expect(doc).toMatchObject({ status: 'sent', wamid: m.wamid });
        expect(statuses(doc)).toEqual(['sent']);
        expect(await store.messages.applyStatuses([])).toEqual([]);
      });

      it('loses nothing when batches over the same messages run concurrently', async () => {
        // The embedded FerretDB reads whole collections per query: fewer messages there.
        const count = kind === 'postgres' ? 100 : 10;
        const ms = await Promise.all(
          Array.from({ length: count }, () => sentMessage({ status: 'queued' })),
        );
        const forward = ['sent', 'delivered', 'read'] as const;
        // Every status of every message three times over, spread across concurrent batches.
        const all = shuffle(
          ms.flatMap((m) => [...forward, ...forward, ...forward].map((s) => update(m, s))),
        );
        const batches = Array.from({ length: 12 }, (_, i) => all.filter((_, j) => j % 12 === i));
        const results = await Promise.all(batches.map((b) => store.messages.applyStatuses(b)));
        expect(results.flat().every((d) => d !== null)).toBe(true);
        for (const m of ms) {
          const doc = (await store.messages.get('org-1', m._id))!;
          expect(doc.status).toBe('read');
          expect(statuses(doc)!.sort()).toEqual(['delivered', 'queued', 'read', 'sent']);
        }

        const late = shuffle(
          ms.flatMap((m) => [
            update(m, 'failed'),
            update(m, 'failed'),
            ...forward.map((s) => update(m, s)),
          ]),
        );
        const lateBatches = Array.from({ length: 8 }, (_, i) => late.filter((_, j) => j % 8 === i));
        await Promise.all(lateBatches.map((b) => store.messages.applyStatuses(b)));
        for (const m of ms) {
          const doc = (await store.messages.get('org-1', m._id))!;
          expect(doc).toMatchObject({ status: 'failed', error: failure });
          expect(statuses(doc)!.sort()).toEqual(['delivered', 'failed', 'queued', 'read', 'sent']);
        }
      });
    });

    it('is scoped by organization', async () => {
      const m = message();
      await store.messages.insert(m);
      expect(await store.messages.get('org-2', m._id)).toBeNull();
      expect((await store.messages.byId(m._id))?._id).toBe(m._id);
    });

    it('pages history newest first with a cursor that new messages do not disturb', async () => {
      const contact = randomUUID();
      const same = new Date('2026-03-01T10:00:00Z');
      const times = [
        new Date('2026-03-01T09:00:00Z'),
        same,
        same,
        same,
        new Date('2026-03-01T11:00:00Z'),
      ];
      const ids: string[] = [];
      for (const at of times) {
        const m = message({ contact_id: contact });
        ids.push(m._id);
        await store.messages.insert(m, at);
      }
      const page1 = await store.messages.history('org-1', contact, { limit: 2 });
      expect(page1[0]!.created_at.toISOString()).toBe('2026-03-01T11:00:00.000Z');
      const last = page1[1]!;

      // A message arriving now must not shift the next page.
      await store.messages.insert(
        message({ contact_id: contact }),
        new Date('2026-03-01T12:00:00Z'),
      );

      const page2 = await store.messages.history('org-1', contact, {
        limit: 2,
        beforeTime: last.created_at,
        beforeId: last._id,
      });
      const page3 = await store.messages.history('org-1', contact, {
        limit: 2,
        beforeTime: page2[1]!.created_at,
        beforeId: page2[1]!._id,
      });
      const seen = [...page1, ...page2, ...page3].map((m) => m._id);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(ids));
    });

    it('finds when the contact was last sent a message of an origin, a failed one aside', async () => {
      const contact = randomUUID();
      const send = async (over: Partial<NewMessage>, iso: string) => {
        const m = message({
          contact_id: contact,
          origin: 'campaign',
          origin_id: 'camp-1',
          ...over,
        });
        await store.messages.insert(m, new Date(iso));
        return m;
      };
      const last = () => store.messages.lastSentAt('org-1', contact, 'campaign', 'camp-1');
      expect(await last()).toBeNull();
      await send({}, '2026-03-01T09:00:00Z');
      await send({}, '2026-03-01T10:00:00Z');
      // Not this campaign's, not outbound, not this contact's, not this organization's.
      await send({ origin_id: 'camp-2' }, '2026-03-01T11:00:00Z');
      await send({ origin: 'sequence' }, '2026-03-01T11:00:00Z');
      await send({ direction: 'inbound', origin: 'whatsapp' }, '2026-03-01T11:00:00Z');
      await send({ contact_id: randomUUID() }, '2026-03-01T11:00:00Z');
      await send({ org_id: 'org-2' }, '2026-03-01T11:00:00Z');
      expect(await last()).toEqual(new Date('2026-03-01T10:00:00Z'));
      const failed = await send({}, '2026-03-01T12:00:00Z');
      await store.messages.applyStatus(failed._id, 'failed', new Date('2026-03-01T12:00:01Z'), {
        code: 131026,
        message: 'Message undeliverable',
      });
      expect(await last()).toEqual(new Date('2026-03-01T10:00:00Z'));
      await send({}, '2026-03-01T13:00:00Z');
      expect(await last()).toEqual(new Date('2026-03-01T13:00:00Z'));
    });
  });
});
