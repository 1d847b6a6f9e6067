import { randomUUID } from 'node:crypto';
import type { Store } from '../../store/contract';
import { openTestStore, STORE_KINDS, type TestStore } from '../support/store';

const T0 = new Date('2026-03-01T10:00:00Z');

describe.each(STORE_KINDS)('%s: media uploads', (kind) => {
  let t: TestStore;
  let store: Store;
  beforeAll(async () => {
    t = await openTestStore(kind);
    store = t.store;
  });
  afterAll(() => t?.handle.close());

  it("keeps Meta's id of a file per account, an upload again replacing the account's earlier one", async () => {
    const mediaId = randomUUID();
    expect(await store.mediaUploads.get(mediaId, 'acc-1')).toBeNull();
    await store.mediaUploads.record({
      media_id: mediaId,
      account_id: 'acc-1',
      meta_media_id: '111',
      uploaded_at: T0,
    });
    await store.mediaUploads.record({
      media_id: mediaId,
      account_id: 'acc-2',
      meta_media_id: '222',
      uploaded_at: T0,
    });
    expect(await store.mediaUploads.get(mediaId, 'acc-1')).toMatchObject({
      media_id: mediaId,
      account_id: 'acc-1',
      meta_media_id: '111',
      uploaded_at: T0,
    });
    const later = new Date(T0.getTime() + 31 * 86_400_000);
    await store.mediaUploads.record({
      media_id: mediaId,
      account_id: 'acc-1',
      meta_media_id: '333',
      uploaded_at: later,
    });
    expect(await store.mediaUploads.get(mediaId, 'acc-1')).toMatchObject({
      meta_media_id: '333',
      uploaded_at: later,
    });
    expect((await store.mediaUploads.get(mediaId, 'acc-2'))?.meta_media_id).toBe('222');
  });
});
