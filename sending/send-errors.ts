import type { DomainError } from '../lib/errors';
import { ValidationError } from '../lib/errors';
import type { MessageDoc } from '../store/documents';

/** A free-form message refused before sending: the texts of the product documentation. */
export const OUTSIDE_WINDOW =
  'Outside service window: Outside 24-hour window. Use a template message.';

/** Meta's refusals that have a text and a code of their own in the API's answer. */
const OWN_ERRORS: Record<number, { prefix: string; code: string }> = {
  131047: { prefix: 'Outside service window: ', code: 'outside_window' },
  190: { prefix: '', code: 'account_disconnected' },
};

/** The API's answer for a message that failed before Meta accepted it: Meta's reason, as a 400. */
export function failedSendError(m: MessageDoc): DomainError {
  const reason = m.error ?? { code: 0, message: 'Message failed' };
  const own = OWN_ERRORS[reason.code];
  return own
    ? new ValidationError(`${own.prefix}${reason.message}`, own.code)
    : new ValidationError(reason.message, 'message_failed');
}
