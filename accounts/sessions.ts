import { DUMMY_PASSWORD_HASH, verifyPassword } from '../lib/crypto';
import { UnauthorizedError } from '../lib/errors';
import type { Store } from '../store';
import type { SessionDoc, UserDoc } from '../store/documents';
import { normalizeEmail } from '../store/users';
import type { LoginThrottle } from './login-throttle';

export interface LoginRequest {
  email: string;
  password: string;
}

export interface LoginDeps {
  store: Store;
  sessionTtlMs: number;
  throttle: Pick<LoginThrottle, 'check' | 'failed' | 'succeeded'>;
}

/**
 * A new session for the user whose email and password these are. After too many failures for
 * the email, refused (429) for a while, whoever asks.
 */
export async function login(
  { store, sessionTtlMs, throttle }: LoginDeps,
  req: LoginRequest,
): Promise<{ user: UserDoc; session: SessionDoc; token: string }> {
  const email = normalizeEmail(req.email);
  await throttle.check(email);
  const user = await store.users.findByEmail(email);
  // Verify against a dummy hash when there is no such user, so timing does not tell.
  const valid = await verifyPassword(req.password, user?.password_hash ?? DUMMY_PASSWORD_HASH);
  if (!user || !valid) {
    await throttle.failed(email);
    throw new UnauthorizedError('Invalid email or password');
  }
  await throttle.succeeded(email);
  const { doc, token } = await store.sessions.create(user.org_id, user._id, sessionTtlMs);
  return { user, session: doc, token };
}

/** Ends the session the token names; false when there was none. */
export async function logout(
  { store }: { store: Store },
  token: string | undefined,
): Promise<boolean> {
  return token ? store.sessions.delete(token) : false;
}

/** Deletes the sessions past their expiry; how many. */
export function purgeExpiredSessions({ store }: { store: Store }): Promise<number> {
  return store.sessions.purgeExpired();
}
