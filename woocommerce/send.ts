import { mediaRefProblem, mediaRefsOf } from '../media/references';
import { actionValuesForContacts } from '../actions/contact-values';
import type { ActionRunDeps } from '../actions/run';
import { idFrom } from '../lib/ids';
import { parameterMismatch } from '../meta/template-parameters';
import type { WooStoreDoc, WooTemplateMapping } from '../store/contract/woocommerce';
import type { ContactDoc } from '../store/documents';
import type { Signals } from '../store/signals';
import { resolveTemplate } from '../templates/resolve';
import { wooOrderKey } from '../store/woocommerce';
import { upsertCustomer } from './customer';
import type { WooOrderRef } from './delivery';
import { isTruthy, metaValue, type WooOrder } from './order';
import {
  emptyParameters,
  parameterValues,
  renderMapping,
  type ParameterSource,
} from './parameters';
import { customerPhone } from './phone';

export interface WooSendDeps extends ActionRunDeps {
  signals: Signals;
  /** Add template parameter values (custom actions). */
  sources?: readonly ParameterSource[];
}

/** The mapping's action run for the customer, the order as its input. */
async function actionValues(
  deps: ActionRunDeps,
  actionId: string,
  orgId: string,
  contact: ContactDoc,
  order: WooOrder,
): Promise<{ values: Record<string, string> } | { skip: string }> {
  const action = await deps.store.actions.get(orgId, actionId);
  if (!action) return { skip: `The mapping's action '${actionId}' was deleted` };
  const results = await actionValuesForContacts(
    { store: deps.store, sandbox: deps.sandbox },
    { action, contacts: [contact], caller: { type: 'woocommerce', id: null }, input: order },
  );
  const r = results.get(contact._id);
  if (!r) return { skip: 'The action did not run' };
  return r.ok ? { values: r.values } : { skip: `Action ${r.error.type} error: ${r.error.message}` };
}

/** The contact its delivery made (or makes now, if it was deleted since). */
async function customerOf(deps: ActionRunDeps, shop: WooStoreDoc, order: WooOrder) {
  const { store } = deps;
  const phone = await customerPhone(store, shop, order);
  const contact = phone && (await store.contacts.findByPhone(shop.org_id, phone));
  return contact && phone ? { contact, phone } : upsertCustomer(store, shop, order);
}

/**
 * Queues `mapping` for the order's customer (transactional: ahead of campaigns), or says why
 * not. `key` names the notification, so a retry queues the same message.
 */
export async function sendWooTemplate(
  deps: WooSendDeps,
  ref: WooOrderRef,
  shop: WooStoreDoc,
  order: WooOrder,
  mapping: WooTemplateMapping,
  key: string,
  capReached: boolean,
): Promise<{ messageId: string } | { reason: string }> {
  const { store, signals } = deps;
  if (capReached) {
    return {
      reason: `The order has had its ${shop.settings.max_messages_per_order} messages (the store's maximum)`,
    };
  }
  const customer = await customerOf(deps, shop, order);
  if (!customer) return { reason: 'The order has no usable billing phone number' };
  const { opt_in } = shop.settings;
  if (
    opt_in.required &&
    !customer.contact.opted_in &&
    !isTruthy(metaValue(order, opt_in.meta_key))
  ) {
    return {
      reason: `No opt-in: the order has no ${opt_in.meta_key} and the contact has not opted in`,
    };
  }
  const account = await store.accounts.resolve(ref.orgId, shop.account_id);
  if (!account) return { reason: 'No WhatsApp account to send from' };
  if (account.status === 'disconnected') return { reason: 'The WhatsApp account is disconnected' };
  const resolved = await resolveTemplate(
    store,
    ref.orgId,
    account._id,
    mapping.name,
    mapping.language,
  );
  if ('refusal' in resolved) return { reason: resolved.message };
  const { template } = resolved;
  const values = await parameterValues(order, shop, deps.sources ?? []);
  if (mapping.action_id) {
    const got = await actionValues(deps, mapping.action_id, ref.orgId, customer.contact, order);
    if ('skip' in got) return { reason: got.skip };
    for (const [k, v] of Object.entries(got.values)) values[`action.${k}`] = v;
  }
  const components = renderMapping(mapping, order, values);
  const mismatch = parameterMismatch(
    template,
    components as unknown as Parameters<typeof parameterMismatch>[1],
  );
  if (mismatch) return { reason: mismatch };
  const mediaProblem = await mediaRefProblem(
    store,
    ref.orgId,
    mediaRefsOf('template', { components }, 'template'),
  );
  if (mediaProblem) return { reason: mediaProblem };
  if (emptyParameters(components)) {
    return { reason: `Template '${mapping.name}' has a parameter the order gives no value for` };
  }
  const messageId = idFrom(`woo:${shop._id}:${ref.orderId}:${key}`);
  await store.sendQueue.enqueue(
    [
      {
        _id: messageId,
        org_id: ref.orgId,
        account_id: account._id,
        contact_id: customer.contact._id,
        direction: 'outbound',
        phone_number: customer.phone,
        user_id: null,
        type: 'template',
        content: {
          name: template.name,
          language: { code: template.language },
          ...(components.length ? { components } : {}),
        },
        origin: 'woocommerce',
        origin_id: wooOrderKey(shop._id, ref.orderId),
        request_hash: null,
        wamid: null,
        status: 'queued',
      },
    ],
    'transactional',
  );
  await signals.publish('send_queued', account._id).catch(() => undefined);
  return { messageId };
}
