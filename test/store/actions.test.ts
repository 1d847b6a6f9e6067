import { ConflictError } from '../../lib/errors';
import { newActionRun } from '../../store/actions';
import type { Store } from '../../store/contract';
import type { ActionDoc } from '../../store/documents';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = Date.parse('2025-03-01T10:00:00Z');

describe.each(STORE_KINDS)('%s actions', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(async () => {
    await t?.handle.close();
  });

  const newOrg = async () => (await store.organizations.create('Acme'))._id;
  const create = (orgId: string, name: string) =>
    store.actions.create(orgId, { name, description: null, code: 'return 1' });

  it('disables an action with its reason, and new code enables it again', async () => {
    const org = await newOrg();
    const a = await create(org, 'crasher');
    expect(a.disabled_reason).toBeNull();
    expect(await store.actions.disable(await newOrg(), a._id, 'x')).toBeNull();
    const disabled = await store.actions.disable(org, a._id, 'it crashed');
    expect(disabled).toMatchObject({ disabled_reason: 'it crashed' });
    expect(disabled!.disabled_at).toBeInstanceOf(Date);
    expect(await store.actions.get(org, a._id)).toMatchObject({ disabled_reason: 'it crashed' });
    expect(await store.actions.update(org, a._id, { name: 'renamed' })).toMatchObject({
      disabled_reason: 'it crashed',
    });
    expect(await store.actions.update(org, a._id, { code: 'return 3' })).toMatchObject({
      disabled_reason: null,
      disabled_at: null,
    });
  });

  it('creates, reads, lists by name and updates an action within its organization', async () => {
    const org = await newOrg();
    const other = await newOrg();
    const b = await create(org, 'b-format');
    const a = await store.actions.create(org, {
      name: 'a-discount',
      description: 'Ten percent',
      code: 'return { discount: 10 }',
    });
    expect(await store.actions.get(org, a._id)).toEqual(a);
    expect(await store.actions.get(other, a._id)).toBeNull();
    expect((await store.actions.list(org)).map((x) => x.name)).toEqual(['a-discount', 'b-format']);
    expect(await store.actions.list(other)).toEqual([]);

    const updated = await store.actions.update(org, b._id, { code: 'return 2', description: 'x' });
    expect(updated).toMatchObject({ name: 'b-format', code: 'return 2', description: 'x' });
    expect(updated!.updated_at.getTime()).toBeGreaterThanOrEqual(b.updated_at.getTime());
    expect(await store.actions.update(other, b._id, { code: 'return 3' })).toBeNull();
    expect((await store.actions.get(org, b._id))!.code).toBe('return 2');
  });

  it('refuses a name the organization already uses, on create and on rename', async () => {
    const org = await newOrg();
    await create(org, 'greet');
    const second = await create(org, 'other');
    await expect(create(org, 'greet')).rejects.toBeInstanceOf(ConflictError);
    await expect(store.actions.update(org, second._id, { name: 'greet' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect((await store.actions.get(org, second._id))!.name).toBe('other');
    // Another organization may use the same name.
    await expect(create(await newOrg(), 'greet')).resolves.toMatchObject({ name: 'greet' });
  });

  it('records runs, lists them newest first with a cursor, and deletes them with the action', async () => {
    const org = await newOrg();
    const action: ActionDoc = await create(org, 'runs');
    const runs = Array.from({ length: 5 }, (_, i) =>
      newActionRun(
        action,
        i % 2 ? { type: 'campaign', id: 'c-1' } : { type: 'api', id: 'key-1' },
        i === 4
          ? { outcome: 'timeout', error: 'The action ran longer than 5000 ms', durationMs: 5000.5 }
          : { outcome: 'ok', error: null, durationMs: i + 0.25 },
        new Date(T0 + i * 1_000),
      ),
    );
    await store.actions.recordRuns(runs);
    await store.actions.recordRuns([runs[0]!]); // a retried batch records nothing twice

    const first = await store.actions.runs(org, action._id, { limit: 3 });
    expect(first.map((r) => r._id)).toEqual([runs[4]!._id, runs[3]!._id, runs[2]!._id]);
    expect(first[0]).toEqual(runs[4]);
    expect(first[1]!.caller).toEqual({ type: 'campaign', id: 'c-1' });
    const last = first.at(-1)!;
    const rest = await store.actions.runs(org, action._id, {
      limit: 3,
      before: { created_at: last.created_at, id: last._id },
    });
    expect(rest.map((r) => r._id)).toEqual([runs[1]!._id, runs[0]!._id]);
    expect(await store.actions.runs(await newOrg(), action._id, { limit: 10 })).toEqual([]);

    expect(await store.actions.delete(await newOrg(), action._id)).toBe(false);
    expect(await store.actions.delete(org, action._id)).toBe(true);
    expect(await store.actions.get(org, action._id)).toBeNull();
    expect(await store.actions.runs(org, action._id, { limit: 10 })).toEqual([]);
    expect(await store.actions.delete(org, action._id)).toBe(false);
  });
});
