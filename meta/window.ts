/** Free-form messages are allowed only within 24 h of the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

export function windowExpiresAt(lastInboundAt: Date | null): Date | null {
  return lastInboundAt ? new Date(lastInboundAt.getTime() + SERVICE_WINDOW_MS) : null;
}

export function windowOpen(lastInboundAt: Date | null, now = new Date()): boolean {
  const expires = windowExpiresAt(lastInboundAt);
  return expires !== null && expires > now;
}
