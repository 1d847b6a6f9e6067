import { ValidationError } from '../lib/errors';
import type { MessageContentRequest } from '../meta/messages';
import type { Store } from '../store';
import type { ContactDoc, MessageDoc } from '../store/documents';

/** A message of the organization named by Waflow's id or by its wamid; null when none is. */
export async function messageByRef(
  store: Store,
  orgId: string,
  ref: string,
): Promise<MessageDoc | null> {
  const found = (await store.messages.get(orgId, ref)) ?? (await store.messages.byWamid(ref));
  return found && found.org_id === orgId ? found : null;
}

/**
 * The wamid of a message a new one points at (a reaction's target, a reply's `context`): named
 * by Waflow's id or by its wamid, it must be a message of this organization and contact that
 * WhatsApp knows (sent, or received). Anything else is a 400 naming the field.
 */
export async function targetWamid(
  store: Store,
  orgId: string,
  contact: ContactDoc | null,
  ref: string,
  field: string,
): Promise<string> {
  const target = await messageByRef(store, orgId, ref);
  if (!target) throw new ValidationError(`${field}: no message '${ref}' found`, 'unknown_message');
  if (!contact || target.contact_id !== contact._id) {
    throw new ValidationError(
      `${field}: message '${ref}' belongs to another contact`,
      'message_of_another_contact',
    );
  }
  if (!target.wamid) {
    throw new ValidationError(
      `${field}: message '${ref}' has no WhatsApp id yet (still queued or failed)`,
      'message_not_sent',
    );
  }
  return target.wamid;
}

/** The request with the messages it points at named by their wamids, as Meta takes them. */
export async function withTargetWamids(
  store: Store,
  orgId: string,
  contact: ContactDoc | null,
  req: MessageContentRequest,
): Promise<MessageContentRequest> {
  let resolved = req;
  if (req.context) {
    const wamid = await targetWamid(
      store,
      orgId,
      contact,
      req.context.message_id,
      'context.message_id',
    );
    resolved = { ...resolved, context: { message_id: wamid } };
  }
  if (req.type === 'reaction') {
    const wamid = await targetWamid(
      store,
      orgId,
      contact,
      req.reaction.message_id,
      'reaction.message_id',
    );
    resolved = { ...resolved, type: 'reaction', reaction: { ...req.reaction, message_id: wamid } };
  }
  return resolved;
}
