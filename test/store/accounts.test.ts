import type { Config } from '../../lib/config';
import { ConflictError } from '../../lib/errors';
import { openStore } from '../../store';
import type { NewAccount } from '../../store/accounts';
import type { Store } from '../../store/contract';
import type { TemplateDoc } from '../../store/documents';
import { sandboxAccountIds } from '../../store/sandbox-account';
import { templateId } from '../../store/templates';
import { openRawStore, type RawStore } from '../support/raw-store';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

describe.each(STORE_KINDS)('%s', (kind) => {
  let t: TestStore;
  let config: Config;
  let store: Store;
  let raw: RawStore;
  beforeAll(async () => {
    t = await openTestStore(kind, {
      SANDBOX_MODE: 'true',
      META_GRAPH_URL: 'https://graph.meta.test',
    });
    ({ config, store } = t);
    raw = openRawStore(config);
  });
  afterAll(async () => {
    await raw?.close();
    await t?.handle.close();
  });

  let seq = 0;
  const account = (over: Partial<NewAccount> = {}): NewAccount => {
    seq += 1;
    return {
      name: `Number ${seq}`,
      phoneNumberId: `10000000000${String(seq).padStart(4, '0')}`,
      wabaId: `20000000000${String(seq).padStart(4, '0')}`,
      accessToken: `EAAG-token-${seq}`,
      appSecret: `app-secret-${seq}`,
      verifyToken: `verify-token-${seq}`,
      ...over,
    };
  };
  const newOrg = async () => (await store.organizations.create('Acme'))._id;

  describe('accounts repository', () => {
    it('seals the secrets, finds accounts by number and by verify token, and opens them', async () => {
      const orgId = await newOrg();
      const input = account();
      const doc = await store.accounts.create(orgId, input);

      const [row] = await raw.find('accounts', { _id: doc._id });
      expect(row).toMatchObject({ graph_url: 'https://graph.meta.test', sandbox: false });
      const stored = JSON.stringify(row);
      for (const secret of [input.accessToken, input.appSecret, input.verifyToken]) {
        expect(stored).not.toContain(secret);
      }

      const byNumber = await store.accounts.findByPhoneNumberId(input.phoneNumberId);
      expect(byNumber?._id).toBe(doc._id);
      const byToken = await store.accounts.findByVerifyToken(input.verifyToken);
      expect(byToken?._id).toBe(doc._id);
      expect(await store.accounts.findByVerifyToken('another-token')).toBeNull();
      expect(store.accounts.credentials(byNumber!)).toEqual({
        accessToken: input.accessToken,
        appSecret: input.appSecret,
        verifyToken: input.verifyToken,
      });
    });

    it('refuses a phone_number_id another account has, in any organization', async () => {
      const input = account();
      await store.accounts.create(await newOrg(), input);
      await expect(
        store.accounts.create(await newOrg(), account({ phoneNumberId: input.phoneNumberId })),
      ).rejects.toThrow(
        new ConflictError('This phone number is already connected to a Waflow account'),
      );
    });

    it('scopes get and resolve by organization', async () => {
      const orgId = await newOrg();
      const other = await newOrg();
      const doc = await store.accounts.create(orgId, account());
      expect((await store.accounts.get(orgId, doc._id))?._id).toBe(doc._id);
      expect(await store.accounts.get(other, doc._id)).toBeNull();
      expect(await store.accounts.resolve(other, doc._id)).toBeNull();
      expect((await store.accounts.resolve(orgId, doc._id))?._id).toBe(doc._id);
    });

    it('finds every account under a WABA, in any organization and status, oldest first', async () => {
      const wabaId = account().wabaId;
      const [one, two] = [await newOrg(), await newOrg()];
      const first = await store.accounts.create(one, account({ wabaId }));
      const second = await store.accounts.create(two, account({ wabaId }));
      await store.accounts.create(one, account());
      await store.accounts.markDisconnected(second._id, 'Invalid OAuth access token');

      const found = await store.accounts.findByWabaId(wabaId);
      expect(found.map((a) => a._id)).toEqual([first._id, second._id]);
      expect(store.accounts.credentials(found[0]!).appSecret).toBe(
        store.accounts.credentials(first).appSecret,
      );
      expect(await store.accounts.findByWabaId('999999999999999')).toEqual([]);
      const operator = { $ne: null } as unknown as string;
      expect(await store.accounts.findByWabaId(operator)).toEqual([]);
    });

    it('resolves the default account, and the sandbox one where there is none yet', async () => {
      const orgId = await newOrg();
      const sandbox = await store.accounts.resolve(orgId, null);
      expect(sandbox).toMatchObject({
        org_id: orgId,
        sandbox: true,
        is_default: true,
        name: 'Sandbox',
        phone_number_id: sandboxAccountIds(orgId).phoneNumberId,
        waba_id: sandboxAccountIds(orgId).wabaId,
        graph_url: config.meta.simulator.url,
      });
      expect(store.accounts.credentials(sandbox!)).toEqual({
        accessToken: config.meta.simulator.accessToken,
        appSecret: config.meta.simulator.appSecret,
        verifyToken: config.meta.simulator.verifyToken,
      });

      const real = await store.accounts.create(orgId, account({ isDefault: true }));
      expect((await store.accounts.resolve(orgId, null))?._id).toBe(real._id);
      expect((await store.accounts.get(orgId, sandbox!._id))?.is_default).toBe(false);
    });

    it('keeps one sandbox account per organization, however many callers ensure it', async () => {
      const orgId = await newOrg();
      await Promise.all(Array.from({ length: 5 }, () => store.accounts.ensureSandbox(orgId)));
      await store.accounts.list(orgId);
      const sandboxes = (await store.accounts.list(orgId)).filter((a) => a.sandbox);
      expect(sandboxes).toHaveLength(1);
      expect(sandboxes[0]).toMatchObject({ is_default: true });
      expect(await raw.count('accounts', { org_id: orgId })).toBe(1);
    });

    it('has no sandbox account when sandbox mode is off', async () => {
      // Another process on the same database, out of sandbox mode.
      const handle = await openStore({ ...config, sandbox: false });
      try {
        const plain = handle.store;
        const orgId = await newOrg();
        expect(await plain.accounts.list(orgId)).toEqual([]);
        expect(await plain.accounts.resolve(orgId, null)).toBeNull();
        const first = await plain.accounts.create(orgId, account());
        expect(first).toMatchObject({ is_default: true, graph_url: 'https://graph.meta.test' });
        expect((await plain.accounts.create(orgId, account())).is_default).toBe(false);
      } finally {
        await handle.close();
      }
    });

    it('disconnects an account, and a new access token reconnects it', async () => {
      const orgId = await newOrg();
      const doc = await store.accounts.create(orgId, account());
      await store.accounts.markDisconnected(doc._id, 'Invalid OAuth access token');
      expect(await store.accounts.get(orgId, doc._id)).toMatchObject({
        status: 'disconnected',
        status_reason: 'Invalid OAuth access token',
      });
      expect((await store.accounts.listConnected(orgId)).map((a) => a._id)).not.toContain(doc._id);

      const renamed = await store.accounts.update(orgId, doc._id, { name: 'Renamed' });
      expect(renamed).toMatchObject({ name: 'Renamed', status: 'disconnected' });
      const fixed = await store.accounts.update(orgId, doc._id, { accessToken: 'EAAG-new' });
      expect(fixed).toMatchObject({ status: 'connected', status_reason: null });
      expect(store.accounts.credentials(fixed!).accessToken).toBe('EAAG-new');
    });

    it('stores the Marketing Messages and coexistence settings, off unless given', async () => {
      const orgId = await newOrg();
      const plain = await store.accounts.create(orgId, account());
      expect(plain).toMatchObject({ marketing_messages: false, coexistence: false });
      const shared = await store.accounts.create(
        orgId,
        account({ marketingMessages: true, coexistence: true, throughput: 20 }),
      );
      expect(await store.accounts.get(orgId, shared._id)).toMatchObject({
        marketing_messages: true,
        coexistence: true,
        throughput: 20,
      });
      await store.accounts.update(orgId, plain._id, { marketingMessages: true });
      expect(await store.accounts.findById(plain._id)).toMatchObject({
        marketing_messages: true,
        coexistence: false,
      });
      await store.accounts.update(orgId, shared._id, { marketingMessages: false });
      expect(await store.accounts.findById(shared._id)).toMatchObject({
        marketing_messages: false,
        coexistence: true,
      });
    });

    it('hands the default to the oldest remaining account when the default is removed', async () => {
      const orgId = await newOrg();
      const sandbox = await store.accounts.ensureSandbox(orgId);
      const real = await store.accounts.create(orgId, account({ isDefault: true }));
      await store.accounts.remove(orgId, real._id);
      expect((await store.accounts.resolve(orgId, null))?._id).toBe(sandbox!._id);
    });
  });

  describe('templates repository', () => {
    const template = (accountId: string, orgId: string, name: string, language: string) =>
      ({
        _id: templateId(accountId, name, language),
        org_id: orgId,
        account_id: accountId,
        meta_id: `${name}-${language}`,
        name,
        language,
        category: 'UTILITY',
        status: 'APPROVED',
        components: [],
        parameter_counts: { header: 0, body: 0, buttons: [] },
        header_format: null,
        quality_score: null,
        synced_at: new Date(),
      }) satisfies TemplateDoc;

    it('finds the exact language, else an English one, else the first', async () => {
      const orgId = await newOrg();
      const { _id: accountId } = await store.accounts.create(orgId, account());
      await store.templates.upsert([
        template(accountId, orgId, 'welcome', 'de'),
        template(accountId, orgId, 'welcome', 'en_US'),
        template(accountId, orgId, 'welcome', 'pt_BR'),
        template(accountId, orgId, 'promo', 'es'),
        template(accountId, orgId, 'promo', 'fr'),
      ]);
      const find = (name: string, language?: string) =>
        store.templates.find(orgId, accountId, name, language).then((t) => t?.language ?? null);

      expect(await find('welcome', 'pt_BR')).toBe('pt_BR');
      expect(await find('welcome')).toBe('en_US');
      expect(await find('promo')).toBe('es');
      expect(await find('welcome', 'it')).toBeNull();
      expect(await find('missing')).toBeNull();
      expect(await store.templates.find(await newOrg(), accountId, 'welcome')).toBeNull();
    });

    it("finds a webhook's template in the given accounts by Meta's id or by name and language", async () => {
      const orgId = await newOrg();
      const wabaId = account().wabaId;
      const { _id: a } = await store.accounts.create(orgId, account({ wabaId }));
      const { _id: b } = await store.accounts.create(orgId, account({ wabaId }));
      const { _id: elsewhere } = await store.accounts.create(await newOrg(), account());
      await store.templates.upsert([
        template(a, orgId, 'order', 'en'),
        template(a, orgId, 'order', 'de'),
        // Synced by another account of the WABA under its own id: found by name and language.
        { ...template(b, orgId, 'order', 'en'), meta_id: 'other-id' },
        template(elsewhere, orgId, 'order', 'en'),
      ]);
      const ids = (docs: TemplateDoc[]) => docs.map((d) => d._id).sort();
      const match = (over: Partial<{ metaId: string; name: string; language: string }>) =>
        store.templates.matching([a, b], { metaId: null, name: null, language: null, ...over });

      expect(ids(await match({ metaId: 'order-en' }))).toEqual([templateId(a, 'order', 'en')]);
      expect(ids(await match({ name: 'order', language: 'en' }))).toEqual(
        [templateId(a, 'order', 'en'), templateId(b, 'order', 'en')].sort(),
      );
      expect(ids(await match({ metaId: 'order-de', name: 'order', language: 'en' }))).toEqual(
        [
          templateId(a, 'order', 'de'),
          templateId(a, 'order', 'en'),
          templateId(b, 'order', 'en'),
        ].sort(),
      );
      // A name without its language names no template.
      expect(await match({ name: 'order' })).toEqual([]);
      expect(await match({})).toEqual([]);
      expect(await match({ metaId: 'missing' })).toEqual([]);
      expect(
        await store.templates.matching([], { metaId: 'order-en', name: null, language: null }),
      ).toEqual([]);
    });

    it('patches only the given fields of the given templates, and a later sync keeps the quality', async () => {
      const orgId = await newOrg();
      const { _id: accountId } = await store.accounts.create(orgId, account());
      const order = template(accountId, orgId, 'order', 'en');
      const promo = template(accountId, orgId, 'promo', 'en');
      await store.templates.upsert([order, promo]);

      await store.templates.patch([order._id], { status: 'PAUSED' });
      await store.templates.patch([order._id], { category: 'MARKETING', quality_score: 'RED' });
      await store.templates.patch([order._id], {});
      await store.templates.patch([], { status: 'DISABLED' });
      const listed = await store.templates.list(orgId, { accountId });
      expect(listed).toEqual([
        { ...order, status: 'PAUSED', category: 'MARKETING', quality_score: 'RED' },
        promo,
      ]);

      // Meta's list gives no quality: the webhook's stays; one it gives replaces it.
      await store.templates.upsert([{ ...order, status: 'APPROVED' }]);
      expect(await store.templates.find(orgId, accountId, 'order', 'en')).toMatchObject({
        status: 'APPROVED',
        quality_score: 'RED',
      });
      await store.templates.upsert([{ ...order, quality_score: 'GREEN' }]);
      expect((await store.templates.find(orgId, accountId, 'order', 'en'))?.quality_score).toBe(
        'GREEN',
      );
    });

    it('keeps components as synced, replaces on upsert, and removes what Meta no longer has', async () => {
      const orgId = await newOrg();
      const { _id: accountId } = await store.accounts.create(orgId, account());
      const order = {
        ...template(accountId, orgId, 'order', 'en'),
        components: [
          { type: 'HEADER', format: 'IMAGE' },
          { type: 'BODY', text: 'Hi {{1}}, order {{2}} shipped' },
          { type: 'BUTTONS', buttons: [{ type: 'URL', url: 'https://x.test/{{1}}' }] },
        ],
        parameter_counts: { header: 1, body: 2, buttons: [1] },
        header_format: 'IMAGE',
        synced_at: new Date('2026-03-01T10:00:00Z'),
      };
      const promo = template(accountId, orgId, 'promo', 'en');
      await store.templates.upsert([order, promo]);
      await store.templates.upsert([{ ...order, status: 'PAUSED' }]);
      const listed = await store.templates.list(orgId, { accountId });
      expect(listed.map((x) => x.name)).toEqual(['order', 'promo']);
      expect(listed[0]).toEqual({ ...order, status: 'PAUSED' });
      expect((await store.templates.list(orgId, { status: 'PAUSED' })).map((x) => x._id)).toEqual([
        order._id,
      ]);

      expect(await store.templates.removeOthers(accountId, [order._id])).toBe(1);
      expect((await store.templates.list(orgId)).map((x) => x._id)).toEqual([order._id]);
      expect(await store.templates.removeForAccount(accountId)).toBe(1);
      expect(await store.templates.list(orgId)).toEqual([]);
    });
  });
});
