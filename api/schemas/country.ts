import { z } from 'zod';
import { isPhoneCountry } from '../../lib/phone';

/** An ISO 3166-1 alpha-2 country code, any case, given in uppercase. */
export const Country = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isPhoneCountry, 'must be an ISO 3166-1 alpha-2 country code, like IN');

/** The field a request with phone numbers may carry. */
export const DefaultCountry = Country.optional().describe(
  'The country of phone numbers given without + or 00 (ISO 3166-1 alpha-2, like IN); ' +
    "the organization's default_country when absent",
);
