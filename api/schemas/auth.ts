import { z } from 'zod';
import type { LoginRequest } from '../../accounts/sessions';
import { checked } from './common';

export const LoginBody = checked<LoginRequest>()(
  z.object({
    email: z.email().max(254),
    password: z.string().min(1).max(1024),
  }),
);

export const SessionView = z.object({
  user: z.object({ id: z.uuid(), email: z.string(), name: z.string() }),
  organization_id: z.uuid(),
  expires_at: z.iso.datetime(),
});

export const WhoAmIView = z.object({
  organization_id: z.uuid(),
  principal: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('api_key'), key_id: z.uuid() }),
    z.object({ kind: z.literal('session'), user_id: z.uuid() }),
  ]),
});
