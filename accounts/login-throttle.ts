import { RateLimitedError } from '../lib/errors';
import type { LoginFailureRepository } from '../store/contract/login-failures';

export interface LoginThrottleLimits {
  /** Failed logins for one email within the window, after which its logins are refused. */
  maxFailures: number;
  windowMs: number;
}

/**
 * Failed logins counted per email, whatever address they come from: a password guessed from
 * many addresses is still slowed down. Each failure is stored, so every API process counts
 * them all; a failure is rare enough for a write each.
 */
export class LoginThrottle {
  private lastPurge: number;

  constructor(
    private readonly failures: LoginFailureRepository,
    private readonly limits: LoginThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.lastPurge = now();
  }

  /**
   * Refuses while the email has had too many failures within the window: the right password
   * too, until enough of them are older than the window.
   */
  async check(email: string): Promise<void> {
    const t = this.now();
    const { maxFailures, windowMs } = this.limits;
    const recent = await this.failures.listSince(email, new Date(t - windowMs));
    if (recent.length < maxFailures) return;
    const freesAt = recent[recent.length - maxFailures]!.getTime() + windowMs;
    throw new RateLimitedError(Math.max(1, Math.ceil((freesAt - t) / 1000)));
  }

  async failed(email: string): Promise<void> {
    const t = this.now();
    await this.failures.add(email, new Date(t));
    if (t - this.lastPurge >= this.limits.windowMs) {
      this.lastPurge = t;
      await this.failures.purgeBefore(new Date(t - this.limits.windowMs));
    }
  }

  succeeded(email: string): Promise<void> {
    return this.failures.clear(email);
  }
}
