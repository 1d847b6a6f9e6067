import { assertConnected, resolveAccount } from '../accounts/resolve';
import { randomUUID } from 'node:crypto';
import { sha256Hex } from '../lib/crypto';
import { IdempotencyKeyReusedError, NotFoundError, ValidationError } from '../lib/errors';
import { idFrom } from '../lib/ids';
import type { Log } from '../lib/log';
import { flushOutbox } from '../contacts/outbox';
import { requestPhone } from '../contacts/phone';
import { checkMediaRefs } from '../media/references';
import { type MessageContentRequest, toMetaContent } from '../meta/messages';
import { interactiveProblem } from '../meta/interactive';
import { parameterMismatch } from '../meta/template-parameters';
import { windowOpen } from '../meta/window';
import type { Store } from '../store';
import { sendableTemplate } from '../templates/resolve';
import type { ContactDoc, MessageDoc } from '../store/documents';
import type { Signals } from '../store/signals';
import type { OutcomeWaiter } from './outcome-waiter';
import { withTargetWamids } from './reply-targets';
import { OUTSIDE_WINDOW } from './send-errors';

/**
 * A message to one customer, named by exactly one of `to`, `user_id` or `contact_id`, from the
 * named account or the organization's default one.
 */
export type SendMessageRequest = MessageContentRequest & {
  /** E.164, or national in `default_country` (else the organization's). */
  to?: string;
  /** A contact's business-scoped user id: for customers known without a number. */
  user_id?: string;
  contact_id?: string;
  default_country?: string;
  whatsapp_account?: string;
};

export interface SendMessageDeps {
  store: Store;
  signals: Pick<Signals, 'publish'>;
  outcomes: Pick<OutcomeWaiter, 'wait'>;
  /** How long to wait for Meta's answer before answering with the still queued message. */
  waitMs: number;
  log: Log;
}

/** A stable message id per organization and Idempotency-Key. */
const idFromKey = (orgId: string, key: string) => idFrom(`${orgId}:${key}`);

/** The customer a request names: its contact when known, and its number when given one. */
async function recipientOf(
  store: Store,
  orgId: string,
  req: SendMessageRequest,
): Promise<{ contact: ContactDoc | null; phone: string | null }> {
  const named = [req.to, req.user_id, req.contact_id].filter((v) => v !== undefined);
  if (named.length !== 1)
    throw new ValidationError('Invalid request: give exactly one of to, user_id or contact_id');
  if (req.contact_id !== undefined) {
    const contact = await store.contacts.get(orgId, req.contact_id);
    if (!contact) throw new NotFoundError(`Contact '${req.contact_id}' not found`);
    return { contact, phone: contact.phone_number };
  }
  if (req.user_id !== undefined) {
    const contact = await store.contacts.findByUserId(orgId, req.user_id);
    if (!contact) throw new NotFoundError(`No contact has user_id '${req.user_id}'`);
    return { contact, phone: contact.phone_number };
  }
  const phone = await requestPhone(store, orgId, req.to!, 'to', req.default_country);
  return { contact: await store.contacts.findByPhone(orgId, phone), phone };
}

/**
 * Queues the message (transactional class) and waits up to `waitMs` for its outcome: the
 * message as sent or failed, or still queued. Repeating a request with the same idempotency
 * key returns the first request's message.
 */
export async function sendMessage(
  { store, signals, outcomes, waitMs, log }: SendMessageDeps,
  orgId: string,
  req: SendMessageRequest,
  idempotencyKey?: string,
): Promise<MessageDoc> {
  const named = await recipientOf(store, orgId, req);
  const { phone } = named;
  let { contact } = named;

  const account = await resolveAccount(store, orgId, req.whatsapp_account);
  assertConnected(account);

  if (req.type === 'interactive') {
    const problem = interactiveProblem(req.interactive);
    if (problem) throw new ValidationError(problem);
  }
  const { type, content, context } = toMetaContent(
    await withTargetWamids(store, orgId, contact, req),
  );
  await checkMediaRefs(store, orgId, type, content);
  if (req.type === 'template') {
    const { name, language, components } = req.template;
    const code = typeof language === 'string' ? language : language?.code;
    const template = await sendableTemplate(store, orgId, account._id, name, code);
    const mismatch = parameterMismatch(template, components);
    if (mismatch) throw new ValidationError(mismatch, 'template_parameters_mismatch');
    content.language = { code: template.language };
  } else if (!contact || !windowOpen(contact.last_inbound_at)) {
    throw new ValidationError(OUTSIDE_WINDOW, 'outside_window');
  }
  if (!contact) {
    contact = await store.contacts.ensure(orgId, phone!, 'api');
    await flushOutbox(store, log, 'contacts', contact._id);
  }

  const messageId = idempotencyKey ? idFromKey(orgId, idempotencyKey) : randomUUID();
  const requestHash = idempotencyKey ? sha256Hex(JSON.stringify(req)) : null;
  const [queued] = await store.sendQueue.enqueue(
    [
      {
        _id: messageId,
        org_id: orgId,
        account_id: account._id,
        contact_id: contact._id,
        direction: 'outbound',
        phone_number: phone,
        user_id: contact.user_id ?? null,
        type,
        content,
        ...(context ? { context } : {}),
        origin: 'api',
        origin_id: null,
        request_hash: requestHash,
        wamid: null,
        status: 'queued',
      },
    ],
    'transactional',
  );
  const { doc, created } = queued!;
  if (!created && (doc.org_id !== orgId || doc.request_hash !== requestHash)) {
    throw new IdempotencyKeyReusedError(idempotencyKey!);
  }
  if (created) {
    await signals
      .publish('send_queued', account._id)
      .catch((err: unknown) => log.warn({ err }, 'dispatchers not signalled'));
  }
  if (doc.wamid || doc.status === 'failed') return doc;
  return (await outcomes.wait(orgId, messageId, waitMs)) ?? doc;
}
