import {
  type CountryCode,
  isSupportedCountry,
  parsePhoneNumberFromString,
} from 'libphonenumber-js/max';
import { ValidationError } from './errors';

const E164 = /^\+[1-9]\d{7,14}$/;

/**
 * The canonical form of a number that is already international (`+919876543210`): spaces,
 * dashes, dots and brackets go, a leading `00` becomes `+`, and a number without `+` is read
 * as carrying its country code, as Meta's WhatsApp ids (`wa_id`, `from`) do. A format check
 * only: what people type goes through `parsePhone`, which knows national numbers and checks
 * validity; the store and Meta's own numbers use this one. Null when not E.164-shaped.
 */
export function normalizePhone(input: string): string | null {
  let s = input.trim().replace(/[\s\-().]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  else if (!s.startsWith('+')) s = `+${s}`;
  return E164.test(s) ? s : null;
}

/** `normalizePhone`, or a ValidationError naming the field. */
export function requirePhone(input: string, field = 'phone_number'): string {
  const phone = normalizePhone(input);
  if (!phone) throw notAPhone(field);
  return phone;
}

/** An ISO 3166-1 alpha-2 code the phone metadata knows (uppercase). */
export const isPhoneCountry = (code: string): code is CountryCode => isSupportedCountry(code);

/** Written with `+` or `00`: international, whatever the default country. */
export const writtenInternational = (input: string) => /^\s*(\+|00)/.test(input);

function notAPhone(field: string, country?: string): ValidationError {
  const national = country ? `, or a national number of ${country}` : '';
  return new ValidationError(
    `Invalid phone number: ${field} must be E.164, like +919876543210${national}`,
  );
}

/**
 * A phone number as a person typed it, in E.164, or a ValidationError naming the field. With
 * `+` or `00` it is international whatever the default country; without, it is a national
 * number of `defaultCountry` (a leading country code without `+` is recognised, as in
 * `919876543210` for IN), and refused when there is no default country: guessing that its
 * first digits are a country code is how `9876543210` became an Iranian number.
 *
 * Validity is checked with libphonenumber's `max` metadata: it holds each country's number
 * patterns, while the `min` metadata checks little more than length and would accept
 * numbers no operator can have (`+1 555 …` area codes, unallocated ranges).
 */
export function parsePhone(input: string, field: string, defaultCountry?: string | null): string {
  const trimmed = input.trim();
  const international = writtenInternational(trimmed);
  const country =
    !international && defaultCountry && isPhoneCountry(defaultCountry) ? defaultCountry : undefined;
  if (!international && !country) throw notAPhone(field);
  const parsed = parsePhoneNumberFromString(trimmed.replace(/^00/, '+'), {
    defaultCountry: country,
    extract: false,
  });
  // An extension cannot be dialled by WhatsApp.
  if (!parsed || parsed.ext) throw notAPhone(field, country);
  if (!parsed.isValid()) {
    const where = parsed.country ?? `+${parsed.countryCallingCode}`;
    throw new ValidationError(
      `Invalid phone number: ${field} ${parsed.number} is not a valid number for ${where}`,
    );
  }
  return parsed.number;
}

/** `parsePhone`, or null instead of the error. */
export function phoneOrNull(input: string, defaultCountry?: string | null): string | null {
  try {
    return parsePhone(input, 'phone', defaultCountry);
  } catch (err) {
    if (err instanceof ValidationError) return null;
    throw err;
  }
}

/** WhatsApp ids are E.164 without the `+`. */
export const toWaId = (phone: string) => phone.replace(/^\+/, '');
