import { Client, Connection } from '@temporalio/client';
import { openStore, type StoreHandle } from '../../store';
import { eventDoc } from '../../store/events';
import { recoveryWorkflowId } from '../../workflows/contracts/maintenance';
import { waitUntil } from '../support/send-queue';
import { STORE_KINDS } from '../support/store';
import { createKillableStack } from '../support/worker-process';

/**
 * Automations across crashes, on each store. The worker process (timers, delays' continuations,
 * the dispatcher) is killed with SIGKILL while runs are in flight and another is started: every
 * run sends each of its messages exactly once, as the simulator's log of accepted sends shows.
 * An API process that stored customer messages but died before routing them: the recovery
 * workflow's sweep routes each of them once, however often it runs.
 */
jest.setTimeout(300_000);

const CONTACTS = 12;

describe.each(STORE_KINDS)('%s', (kind) => {
  let stack: Awaited<ReturnType<typeof createKillableStack>>;
  let orgId: string;

  beforeAll(async () => {
    stack = await createKillableStack(20, { WAFLOW_STORE: kind });
    orgId = stack.h.org.organization.id;
  }, 180_000);

  afterAll(() => stack?.close());

  async function automation(keyword: string, steps: object[]): Promise<string> {
    const res = await stack.h.call({
      method: 'POST',
      url: '/api/automations',
      payload: { name: keyword, trigger: { type: 'keyword', keywords: [keyword] }, steps },
    });
    if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
    return res.json<{ data: { id: string } }>().data.id;
  }

  const text = (id: string, body: string) => ({
    id,
    type: 'send_message',
    message: { type: 'text', text: body },
  });

  const runsOf = (automationId: string) =>
    stack.h.app.store.automationRuns.list(automationId, { limit: 100 });

  /** The texts the simulator accepted for each number (answered or not), by number. */
  function accepted(phones: string[]): Map<string, string[]> {
    const by = new Map(phones.map((p) => [p.slice(1), [] as string[]]));
    for (const e of stack.h.sim.log) {
      const body = e.body as { to?: string; text?: { body: string } } | null;
      if (!e.wamid || !e.path.endsWith('/messages') || !body?.to) continue;
      by.get(body.to)?.push(body.text?.body ?? '?');
    }
    return by;
  }

  it('sends each message of every run exactly once across a kill -9 of the worker mid-run', async () => {
    const { h } = stack;
    const id = await automation('go', [
      text('one', 'one'),
      { id: 'pause', type: 'delay', duration: '2s' },
      text('two', 'two'),
      { id: 'again', type: 'delay', duration: '2s' },
      text('three', 'three'),
    ]);
    const phones = Array.from(
      { length: CONTACTS },
      (_, i) => `+4474008${kind === 'mongo' ? 5 : 0}${String(i).padStart(4, '0')}`,
    );
    const first = stack.startWorker();
    for (const phone of phones) {
      await h.sim.inbound({
        phone_number_id: h.account.phone_number_id,
        from: phone.slice(1),
        text: 'GO',
      });
    }
    await h.settle();
    await h.app.automations.idle();
    // Killed once some runs have gone on after their first delay, in the worker.
    await waitUntil('some runs are past their first delay', async () =>
      (await runsOf(id)).some((r) => r.path.some((p) => p.step === 'two')),
    );
    await stack.kill(first);
    const when = await runsOf(id);
    expect(when.filter((r) => r.state === 'completed').length).toBeLessThan(CONTACTS);

    stack.startWorker();
    await waitUntil(
      'every run completes',
      async () => {
        const runs = await runsOf(id);
        return runs.length === CONTACTS && runs.every((r) => r.state === 'completed');
      },
      180_000,
    );
    await waitUntil('every message is sent', async () =>
      [...accepted(phones).values()].every((texts) => texts.length >= 3),
    );
    await h.settle();
    for (const [, texts] of accepted(phones)) expect(texts.sort()).toEqual(['one', 'three', 'two']);
    for (const run of await runsOf(id)) {
      expect(run.path.map((p) => `${p.step}:${p.outcome}`)).toEqual([
        'one:sent',
        'pause:waiting',
        'pause:waited',
        'two:sent',
        'again:waiting',
        'again:waited',
        'three:sent',
      ]);
    }
  });

  it("routes once what an API process stored but died before routing, through the recovery workflow's sweep", async () => {
    const { h } = stack;
    const id = await automation('late', [text('answer', 'answered late')]);
    // The dead process: a store with no automation runtime attached, whose events nobody routes.
    const dead: StoreHandle = await openStore(h.config);
    const phones = Array.from(
      { length: 5 },
      (_, i) => `+4474007${kind === 'mongo' ? 5 : 0}${String(i).padStart(4, '0')}`,
    );
    const stored = new Date(Date.now() - 2 * 60_000);
    try {
      for (const [i, phone] of phones.entries()) {
        // As the inbox does: the contact (its window open), then the message's event.
        const { contact } = await dead.store.contacts.recordInbound(
          orgId,
          { phone, userId: null },
          { name: `Late ${i}`, at: new Date() },
        );
        const wamid = `wamid.late.${kind}.${i}`;
        await dead.store.events.recordMany([
          eventDoc(
            orgId,
            {
              id: `message.incoming:${wamid}`,
              type: 'message.incoming',
              timestamp: stored,
              data: {
                message_id: wamid,
                from: phone,
                contact_id: contact._id,
                type: 'text',
                text: 'late',
                content: { body: 'late' },
              },
            },
            stored,
          ),
        ]);
      }
    } finally {
      await dead.close();
    }
    await h.app.automations.idle();
    expect(await runsOf(id)).toEqual([]);

    // The recovery runs in the worker process the test before left running.
    const connection = await Connection.connect({ address: h.config.temporal.address });
    const client = new Client({ connection, namespace: h.config.temporal.namespace });
    const recover = (n: number) =>
      client.workflow.execute('recoveryWorkflow', {
        taskQueue: h.config.temporal.taskQueue,
        workflowId: `${recoveryWorkflowId()}-${h.config.temporal.taskQueue}-${n}`,
      }) as Promise<{ automationInputsRouted: number }>;
    try {
      // Two at once, then another: the inputs are routed by whichever comes first.
      const [a, b] = await Promise.all([recover(1), recover(2)]);
      expect(a.automationInputsRouted + b.automationInputsRouted).toBeGreaterThanOrEqual(5);
      expect((await recover(3)).automationInputsRouted).toBe(0);
    } finally {
      await connection.close();
    }
    await waitUntil('every late message is answered', async () =>
      [...accepted(phones).values()].every((texts) => texts.length >= 1),
    );
    await h.settle();
    const runs = await runsOf(id);
    expect(runs).toHaveLength(5);
    expect(runs.every((r) => r.state === 'completed')).toBe(true);
    for (const [, texts] of accepted(phones)) expect(texts).toEqual(['answered late']);
  });
});
