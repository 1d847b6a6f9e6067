import { z } from 'zod';
import type { RazorpayKeys, StripeKeys } from '../../payments/gateway-settings';
import { checked } from './common';

const key = (pattern: RegExp, example: string) =>
  z.string().trim().regex(pattern, `must look like ${example}`);

export const StripeKeysBody = checked<StripeKeys>()(
  z.object({
    secret_key: key(/^(sk|rk)_(test|live)_[A-Za-z0-9]+$/, 'sk_test_...').describe('Secret key'),
    publishable_key: key(/^pk_(test|live)_[A-Za-z0-9]+$/, 'pk_test_...').describe(
      'Publishable key',
    ),
    webhook_secret: key(/^whsec_[A-Za-z0-9+/=]+$/, 'whsec_...').describe(
      "The signing secret of the webhook endpoint pointing at this organization's webhook_url",
    ),
  }),
);

export const RazorpayKeysBody = checked<RazorpayKeys>()(
  z.object({
    key_id: key(/^rzp_(test|live)_[A-Za-z0-9]+$/, 'rzp_test_...').describe('Key ID'),
    key_secret: z.string().trim().min(8).max(200).describe('Key secret'),
    webhook_secret: z
      .string()
      .trim()
      .min(8)
      .max(200)
      .describe("The secret of the webhook pointing at this organization's webhook_url"),
  }),
);

export const IntegrationView = z.object({
  gateway: z.enum(['stripe', 'razorpay']),
  mode: z.enum(['test', 'live']),
  keys: z
    .record(z.string(), z.string())
    .describe(
      "Masked: a known format's prefix (sk_test_, rzp_live_...) and the last four characters",
    ),
  webhook_url: z
    .string()
    .describe(
      "Where to point the gateway's webhooks: checked with this organization's secret only",
    ),
  created_at: z.string(),
  updated_at: z.string(),
});
