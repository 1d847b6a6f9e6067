import { ApplicationFailure } from '@temporalio/common';
import { actionActivities } from '../../activities/actions';
import { createSandbox } from '../../vm';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

describe.each(STORE_KINDS)('runAction activity (%s)', (kind) => {
  let t: TestStore;
  const sandbox = createSandbox({ isolation: 'process', limits: { timeoutMs: 1_000 } });
  let acts: ReturnType<typeof actionActivities>;
  beforeAll(async () => {
    t = await openTestStore(kind);
    acts = actionActivities({ config: t.config, store: t.store, sandbox });
  });
  afterAll(async () => {
    await sandbox.close();
    await t?.handle.close();
  });

  it("runs an action as a workflow step with the contact, records it and returns the action's failures as results", async () => {
    const org = await t.store.organizations.create('Shop');
    const contact = await t.store.contacts.create(org._id, {
      phone_number: '+14155550100',
      name: 'Lee',
    });
    const action = await t.store.actions.create(org._id, {
      name: 'discount',
      description: null,
      code: 'if (input.fail) throw new Error("no"); return { pct: contact.name.length * 5, org: organization.name }',
    });
    const ok = await acts.runAction({
      orgId: org._id,
      actionId: action._id,
      contactId: contact._id,
      input: { fail: false },
      caller: { type: 'sequence', id: 'seq-1' },
    });
    expect(ok).toMatchObject({ ok: true, result: { pct: 15, org: 'Shop' } });
    const failed = await acts.runAction({
      orgId: org._id,
      actionId: action._id,
      input: { fail: true },
    });
    expect(failed).toMatchObject({ ok: false, error: { type: 'runtime', message: 'Error: no' } });

    const runs = await t.store.actions.runs(org._id, action._id, { limit: 10 });
    expect(runs.map((r) => [r.caller, r.outcome])).toEqual([
      [{ type: 'workflow', id: null }, 'runtime'],
      [{ type: 'sequence', id: 'seq-1' }, 'ok'],
    ]);
    expect(runs.map((r) => r._id).sort()).toEqual([ok.runId, failed.runId].sort());
  });

  it('fails for good when the action or the contact is not there', async () => {
    const org = await t.store.organizations.create('Shop');
    const action = await t.store.actions.create(org._id, {
      name: 'a',
      description: null,
      code: 'return 1',
    });
    for (const step of [
      { orgId: org._id, actionId: 'missing' },
      { orgId: (await t.store.organizations.create('Other'))._id, actionId: action._id },
      { orgId: org._id, actionId: action._id, contactId: 'missing' },
    ]) {
      const err: unknown = await acts.runAction(step).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'ActionGone', nonRetryable: true });
    }
  });
});
