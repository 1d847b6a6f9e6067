import { ServiceUnavailableError, ValidationError } from '../lib/errors';
import type { Log } from '../lib/log';
import type { MetaClient, MetaPhoneNumber } from '../meta/client';
import { MetaApiError } from '../meta/errors';

/**
 * Phone numbers are unique across organizations and route inbound webhooks, so a number is only
 * stored once its access token has shown it can read the number at Meta: otherwise anyone could
 * claim another business's number first and take its inbound messages.
 */
export async function verifyNumber(
  meta: MetaClient,
  log: Log,
  target: {
    graphUrl: string;
    accessToken: string;
    phoneNumberId: string;
    /** The field to name when Meta says this token cannot read this number. */
    field: 'phone_number_id' | 'access_token';
  },
): Promise<MetaPhoneNumber> {
  try {
    return await meta.getPhoneNumber(target);
  } catch (err) {
    if (!(err instanceof MetaApiError)) throw err;
    if (err.httpStatus === null || err.httpStatus >= 500) {
      log.warn({ err }, 'Meta could not be reached to verify a phone number');
      throw new ServiceUnavailableError(
        'Meta could not be reached to verify the phone number; try again later',
      );
    }
    if (err.code === 100) {
      throw new ValidationError(
        `${target.field}: this access token cannot read phone number ${target.phoneNumberId} at Meta`,
      );
    }
    throw new ValidationError(`access_token: Meta refused it (${err.metaMessage})`);
  }
}

/** Meta shows some display numbers as bare digits; accounts keep them in E.164 form. */
export const displayNumber = (n: MetaPhoneNumber) =>
  n.displayPhoneNumber && /^\d+$/.test(n.displayPhoneNumber)
    ? `+${n.displayPhoneNumber}`
    : n.displayPhoneNumber;
