import { NotFoundError, ValidationError } from '../lib/errors';
import type { Store } from '../store';
import type { AccountDoc } from '../store/documents';

/**
 * The WhatsApp account a request names, or the organization's default when it names none: a
 * name that matches nothing is a 404, an organization without any account a 400.
 */
export async function resolveAccount(
  store: Store,
  orgId: string,
  name: string | null | undefined,
): Promise<AccountDoc> {
  const account = await store.accounts.resolve(orgId, name ?? null);
  if (account) return account;
  if (name) throw new NotFoundError(`WhatsApp account '${name}' not found`);
  throw new ValidationError(
    'No WhatsApp account: add one with POST /api/accounts',
    'no_whatsapp_account',
  );
}

const DISCONNECTED = 'Account disconnected';

/** Refuses to send from a disconnected account, naming why it was disconnected. */
export function assertConnected(account: AccountDoc): void {
  if (account.status !== 'disconnected') return;
  const reason = account.status_reason;
  throw new ValidationError(
    !reason
      ? DISCONNECTED
      : reason.startsWith(DISCONNECTED)
        ? reason
        : `${DISCONNECTED}: ${reason}`,
    'account_disconnected',
  );
}
