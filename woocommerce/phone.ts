import { CALLING_CODES, KEEPS_LEADING_ZERO } from '../lib/calling-codes';
import { normalizePhone } from '../lib/phone';

/** Fewer digits than this after a country code cannot be a whole international number. */
const MIN_SUBSCRIBER_DIGITS = 9;

/**
 * A billing phone in E.164, read with the billing country when it has no `+` or `00`: a
 * national number (`07700 900123` in GB, `98765 43210` in IN) gets the country's code, its
 * trunk 0 dropped; one that already starts with the country's code and is long enough to hold
 * a whole number after it is read as international. Null when no plausible number comes out.
 */
export function billingPhone(phone: string, country?: string | null): string | null {
  const trimmed = phone.trim();
  if (!trimmed) return null;
  if (/^(\+|00)/.test(trimmed)) return normalizePhone(trimmed);
  const code = country ? CALLING_CODES[country.trim().toUpperCase()] : undefined;
  if (!code) return normalizePhone(trimmed);
  let digits = trimmed.replace(/\D/g, '');
  if (!digits) return null;
  if (digits.startsWith(code) && digits.length - code.length >= MIN_SUBSCRIBER_DIGITS) {
    return normalizePhone(`+${digits}`);
  }
  if (digits.startsWith('0') && !KEEPS_LEADING_ZERO.has(country!.trim().toUpperCase())) {
    digits = digits.slice(1);
  }
  return normalizePhone(`+${code}${digits}`);
}
