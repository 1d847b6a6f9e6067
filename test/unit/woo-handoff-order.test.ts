import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { keyedLock } from '../../lib/keyed-lock';
import type { Store } from '../../store';
import type { WooDeliveryDoc } from '../../store/contract/woocommerce';
import { handOffStored } from '../../woocommerce/handoff';

/**
 * Two hand-off batches run at once in the API: an order's deliveries must still reach its
 * workflow in the order they arrived, since the workflow never moves an order backwards.
 */
describe('WooCommerce hand-offs', () => {
  it("give an order's deliveries to its workflow in arrival order, across batches", async () => {
    const signalled: string[] = [];
    const client = {
      workflow: {
        async signalWithStart(_type: string, o: { signalArgs: [{ delivery: string }] }) {
          const { delivery } = o.signalArgs[0];
          // The first delivery's round trip to Temporal is the slow one.
          if (delivery === 'processing') await sleep(30);
          signalled.push(delivery);
        },
      },
    } as unknown as Client;
    const handedOff: string[][] = [];
    const store = {
      wooDeliveries: {
        markHandedOff: (ids: string[]) => Promise.resolve(void handedOff.push(ids)),
        markFailed: () => Promise.resolve(),
      },
    } as unknown as Store;
    const doc = (id: string, orderId: string) =>
      ({ _id: id, org_id: 'org', store_id: 'shop', order_id: orderId }) as WooDeliveryDoc;
    const log = { warn() {} };
    const inOrder = keyedLock();

    await Promise.all([
      handOffStored(store, client, 'q', [doc('processing', '1')], log, inOrder),
      handOffStored(store, client, 'q', [doc('completed', '1'), doc('other', '2')], log, inOrder),
    ]);

    expect(signalled).toEqual(['other', 'processing', 'completed']);
    expect(handedOff.flat().sort()).toEqual(['completed', 'other', 'processing']);
  });
});
