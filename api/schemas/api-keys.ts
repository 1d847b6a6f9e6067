import { z } from 'zod';
import type { ApiKeyDoc } from '../../store/documents';
import type { CreateApiKeyRequest } from '../../accounts/api-keys';
import { checked, Timestamp } from './common';

export const CreateApiKeyBody = checked<CreateApiKeyRequest>()(
  z.object({
    name: z.string().trim().min(1).max(100),
    expires_at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the key stops working; omit for a key that never expires'),
    rate_limit: z
      .object({
        per_minute: z.number().int().positive().max(1_000_000),
        per_second: z.number().int().positive().max(100_000),
      })
      .optional()
      .describe(
        "Overrides the default 100/min and 10/s for this key, up to the organization's ceiling " +
          '(API_KEY_MAX_RATE_PER_MINUTE and _PER_SECOND; by default the default limits)',
      ),
  }),
);

export const ApiKeyView = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().describe('The first characters of the key, to recognise it'),
  status: z.enum(['active', 'expired', 'revoked']),
  expires_at: Timestamp.nullable(),
  revoked_at: Timestamp.nullable(),
  last_used_at: Timestamp.nullable(),
  created_at: Timestamp,
  rate_limit: z.object({ per_minute: z.number(), per_second: z.number() }).nullable(),
});

export const CreatedApiKeyView = ApiKeyView.extend({
  key: z.string().describe('The secret key. It is shown only this once.'),
});

export function apiKeyView(doc: ApiKeyDoc, now = new Date()): z.infer<typeof ApiKeyView> {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: doc._id,
    name: doc.name,
    prefix: doc.prefix,
    status: doc.revoked_at
      ? 'revoked'
      : doc.expires_at && doc.expires_at <= now
        ? 'expired'
        : 'active',
    expires_at: iso(doc.expires_at),
    revoked_at: iso(doc.revoked_at),
    last_used_at: iso(doc.last_used_at),
    created_at: doc.created_at.toISOString(),
    rate_limit: doc.rate_limit,
  };
}
