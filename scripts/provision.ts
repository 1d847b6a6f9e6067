import type { Store } from '../store';

export interface Provisioned {
  organization: { id: string; name: string };
  user: { id: string; email: string } | null;
  api_key: { id: string; name: string; key: string };
}

/** An organization with its first API key and, if an email is given, its first user. */
export async function provisionOrganization(
  store: Store,
  input: { name: string; email?: string; password?: string; keyName?: string },
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
  return {
    organization: { id: org._id, name: org.name },
    user: user && { id: user._id, email: user.email },
    api_key: { id: doc._id, name: doc.name, key },
  };
}
