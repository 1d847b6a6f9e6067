import { z } from 'zod';

/** Meta's business-scoped user id (BSUID): how a customer with no phone number is named. */
export const UserId = z
  .string()
  .trim()
  .min(1)
  .max(128)
  .describe("Meta's business-scoped user id (BSUID), e.g. US.13491208655302741918");
