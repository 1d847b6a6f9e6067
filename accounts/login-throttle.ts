import { RateLimitedError } from '../lib/errors';

export interface LoginThrottleLimits {
  /** Failed logins for one email within the window, after which its logins are refused. */
  maxFailures: number;
  windowMs: number;
}

interface Failures {
  since: number;
  count: number;
}

/**
 * Failed logins counted per email, whatever address they come from: a password guessed from
 * many addresses is still slowed down. In-process, like the rate limiter: with several API
 * replicas each counts its own share.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();
  private lastSweep: number;

  constructor(
    private readonly limits: LoginThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {
    this.lastSweep = now();
  }

  /** Refuses while the email has had too many failures: the right password too. */
  check(email: string): void {
    const t = this.now();
    this.sweep(t);
    const f = this.current(email, t);
    if (f && f.count >= this.limits.maxFailures) {
      throw new RateLimitedError(
        Math.max(1, Math.ceil((f.since + this.limits.windowMs - t) / 1000)),
      );
    }
  }

  failed(email: string): void {
    const t = this.now();
    const f = this.current(email, t);
    if (f) f.count++;
    else this.failures.set(email, { since: t, count: 1 });
  }

  succeeded(email: string): void {
    this.failures.delete(email);
  }

  private current(email: string, t: number): Failures | undefined {
    const f = this.failures.get(email);
    return f && t - f.since < this.limits.windowMs ? f : undefined;
  }

  private sweep(t: number): void {
    if (t - this.lastSweep < this.limits.windowMs) return;
    this.lastSweep = t;
    for (const [email, f] of this.failures) {
      if (t - f.since >= this.limits.windowMs) this.failures.delete(email);
    }
  }
}
