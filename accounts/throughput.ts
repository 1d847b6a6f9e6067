import { ValidationError } from '../lib/errors';
import { COEXISTENCE_THROUGHPUT } from '../store/accounts';
import type { AccountDoc } from '../store/documents';
import type { CreateAccountRequest } from './requests';

/**
 * The throughput to store (undefined: leave it): a coexistence number may send 20 messages/s at
 * most, and gets 20 when no throughput is given (or when it is switched on above that).
 */
export function cappedThroughput(
  req: Pick<CreateAccountRequest, 'throughput' | 'coexistence'>,
  current: Pick<AccountDoc, 'throughput' | 'coexistence'> | null,
): number | undefined {
  const coexistence = req.coexistence ?? current?.coexistence ?? false;
  if (!coexistence) return req.throughput;
  if (req.throughput !== undefined) {
    if (req.throughput > COEXISTENCE_THROUGHPUT) {
      throw new ValidationError(
        `throughput: a coexistence number (shared with the WhatsApp Business app) may send at most ${COEXISTENCE_THROUGHPUT} messages a second`,
      );
    }
    return req.throughput;
  }
  if (!current || current.throughput > COEXISTENCE_THROUGHPUT) return COEXISTENCE_THROUGHPUT;
  return undefined;
}
