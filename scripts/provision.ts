import type { Store } from '../store';
import type { SandboxSettings } from '../store/sandbox-account';

export interface Provisioned {
  organization: { id: string; name: string };
  user: { id: string; email: string } | null;
  api_key: { id: string; name: string; key: string };
  /** Present when provisioned with sandbox settings. */
  sandbox_account?: { id: string; phone_number_id: string };
}

/**
 * An organization with its first API key, if an email is given its first user, and with
 * `sandbox` settings its sandbox account (otherwise created on first use in sandbox mode).
 */
export async function provisionOrganization(
  store: Store,
  input: { name: string; email?: string; password?: string; keyName?: string },
  sandbox?: SandboxSettings | null,
): Promise<Provisioned> {
  if (input.email && !input.password) throw new Error('A user needs a password (--password)');
  const org = await store.organizations.create(input.name);
  const user = input.email
    ? await store.users.create(org._id, {
        email: input.email,
        name: input.email.split('@')[0] ?? input.email,
        password: input.password!,
      })
    : null;
  const { doc, key } = await store.apiKeys.create(org._id, { name: input.keyName ?? 'default' });
  const account = sandbox ? await store.accounts.ensureSandbox(org._id, sandbox) : null;
  return {
    organization: { id: org._id, name: org.name },
    user: user && { id: user._id, email: user.email },
    api_key: { id: doc._id, name: doc.name, key },
    ...(account && {
      sandbox_account: { id: account._id, phone_number_id: account.phone_number_id },
    }),
  };
}
