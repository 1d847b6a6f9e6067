import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import type { WebhookBacklogDoc, WebhookDispatchDoc } from '../../store/documents';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

/** The circuit's part of the store (webhook_backlog, and the endpoint's circuit fields). */
describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  const orgId = randomUUID();
  const newEndpoint = async () =>
    (
      await store.webhookEndpoints.create(orgId, {
        name: 'CRM',
        url: 'https://crm.example.com/hooks',
        events: ['*'],
      })
    ).endpoint;

  function parked(endpointId: string, eventId: string, at: number, attempt = 1): WebhookBacklogDoc {
    return {
      _id: `${endpointId}:${eventId}:0`,
      org_id: orgId,
      endpoint_id: endpointId,
      event_id: eventId,
      run: 0,
      attempt,
      event_at: new Date(at),
      parked_at: new Date(),
    };
  }

  const claim = (eventId: string): WebhookDispatchDoc => ({
    _id: eventId,
    org_id: orgId,
    event_type: 'contact.created',
    body: `{"event":"contact.created","data":{"id":"${eventId}"}}`,
    endpoint_ids: [],
    created_at: new Date(),
  });

  it('creates an endpoint under a given id once, answering the stored one and its secret', async () => {
    const id = randomUUID();
    const input = { name: 'CRM', url: 'https://crm.example.com/hooks', events: ['*'], id };
    const first = await store.webhookEndpoints.create(orgId, { ...input, requestHash: 'hash-1' });
    expect(first.created).toBe(true);
    expect(first.endpoint).toMatchObject({ _id: id, request_hash: 'hash-1' });
    const again = await store.webhookEndpoints.create(orgId, {
      ...input,
      name: 'Other',
      requestHash: 'hash-2',
    });
    expect(again).toEqual({ endpoint: first.endpoint, secret: first.secret, created: false });
  });

  it('parks once, and gives the longest waiting first, with what they send', async () => {
    const { _id: ep } = await newEndpoint();
    const t0 = Date.now() - 60_000;
    const ids = ['b', 'a', 'c', 'gone'].map((s) => `evt-${s}-${randomUUID()}`);
    await store.webhookDeliveries.claim(ids.slice(0, 3).map(claim));
    await store.webhookBacklog.park([
      parked(ep, ids[0]!, t0 + 2),
      parked(ep, ids[1]!, t0 + 1),
      parked(ep, ids[2]!, t0 + 3),
      parked(ep, ids[3]!, t0),
    ]);
    // Parking again changes nothing.
    await store.webhookBacklog.park([parked(ep, ids[1]!, t0 + 9, 7)]);

    expect(await store.webhookBacklog.count(ep)).toBe(4);
    const oldest = await store.webhookBacklog.oldest(ep, 3);
    expect(oldest.map((p) => [p.event_id, p.attempt])).toEqual([
      [ids[3], 1],
      [ids[1], 1],
      [ids[0], 1],
    ]);
    // Its claim was purged: nothing to send.
    expect(oldest[0]).toMatchObject({ event_type: null, body: null });
    expect(oldest[1]).toMatchObject({ event_type: 'contact.created', body: claim(ids[1]!).body });

    await store.webhookBacklog.setAttempt(`${ep}:${ids[3]}:0`, 4);
    expect(
      (await store.webhookBacklog.parkedAmong([`${ep}:${ids[3]}:0`, `${ep}:nope:0`])).map((p) => [
        p.event_id,
        p.attempt,
      ]),
    ).toEqual([[ids[3], 4]]);
    expect(await store.webhookBacklog.parkedAmong([])).toEqual([]);

    await store.webhookBacklog.remove([`${ep}:${ids[3]}:0`]);
    expect((await store.webhookBacklog.oldest(ep, 1))[0]?.event_id).toBe(ids[1]);
    expect(await store.webhookBacklog.endpoints(1_000)).toContainEqual({
      endpoint_id: ep,
      org_id: orgId,
    });
  });

  it('ends parked deliveries with their last attempt, oldest first, a page at a time', async () => {
    const { _id: ep } = await newEndpoint();
    const t0 = Date.now() - 60_000;
    const ids = [0, 1, 2].map((n) => `evt-${n}-${randomUUID()}`);
    await store.webhookBacklog.park(ids.map((id, n) => parked(ep, id, t0 + n, n + 1)));
    const at = new Date();
    const ending = { outcome: 'failed' as const, error: 'disabled', at };

    expect(await store.webhookBacklog.end(ep, ending, 2)).toBe(2);
    expect((await store.webhookBacklog.oldest(ep, 5)).map((p) => p.event_id)).toEqual([ids[2]]);
    expect(await store.webhookBacklog.end(ep, ending, 2)).toBe(1);
    expect(await store.webhookBacklog.end(ep, ending, 2)).toBe(0);
    expect(await store.webhookBacklog.count(ep)).toBe(0);
    expect(await store.webhookBacklog.endpoints(1_000)).not.toContainEqual(
      expect.objectContaining({ endpoint_id: ep }),
    );

    const attempts = await store.webhookDeliveries.attemptsOf(ep, ids);
    expect(attempts.map((a) => [a._id, a.attempt, a.outcome, a.error, a.status_code])).toEqual(
      ids.map((id, n) => [`${ep}:${id}:0:${n + 1}`, n + 1, 'failed', 'disabled', null]),
    );
    expect(attempts[0]!.at).toEqual(at);
  });

  it("opens an endpoint's circuit once, and leaving failing closes it", async () => {
    const endpoint = await newEndpoint();
    expect(endpoint).toMatchObject({ failing_since: null, next_probe_at: null });
    const { _id: ep } = endpoint;
    const since = new Date(Date.now() - 1_000);

    expect(await store.webhookEndpoints.openCircuit(ep, since, 'refused')).toEqual(since);
    // Already open: its time and reason stay.
    expect(await store.webhookEndpoints.openCircuit(ep, new Date(), 'later')).toEqual(since);
    const probeAt = new Date(Date.now() + 30_000);
    await store.webhookEndpoints.setNextProbe(ep, probeAt);
    expect(await store.webhookEndpoints.get(orgId, ep)).toMatchObject({
      status: 'failing',
      status_reason: 'refused',
      failing_since: since,
      next_probe_at: probeAt,
    });

    expect(await store.webhookEndpoints.setStatus(ep, 'failing', 'active', null)).toBe(true);
    expect(await store.webhookEndpoints.get(orgId, ep)).toMatchObject({
      status: 'active',
      status_reason: null,
      failing_since: null,
      next_probe_at: null,
    });
    // Closed: a probe time is not recorded any more.
    await store.webhookEndpoints.setNextProbe(ep, probeAt);
    expect((await store.webhookEndpoints.get(orgId, ep))?.next_probe_at).toBeNull();

    // A failing endpoint without a circuit (marked by an older version) gets one.
    expect(await store.webhookEndpoints.setStatus(ep, 'active', 'failing', 'old')).toBe(true);
    expect(await store.webhookEndpoints.openCircuit(ep, since, 'refused')).toEqual(since);

    // Enabling or disabling by hand closes it too; a disabled endpoint's circuit stays shut.
    await store.webhookEndpoints.update(orgId, ep, { status: 'disabled' });
    expect(await store.webhookEndpoints.get(orgId, ep)).toMatchObject({
      status: 'disabled',
      failing_since: null,
    });
    expect(await store.webhookEndpoints.openCircuit(ep, new Date(), 'again')).toBeNull();
    expect(await store.webhookEndpoints.openCircuit(randomUUID(), new Date(), 'x')).toBeNull();
  });
});
