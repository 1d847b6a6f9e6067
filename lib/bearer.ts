import { safeEqual } from './crypto';

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerOf(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1] ?? null;
}

/** Whether a request with this Authorization header may read /metrics (open without a token). */
export function metricsAllowed(authorization: string | undefined, token: string | null): boolean {
  if (token === null) return true;
  const given = bearerOf(authorization);
  return given !== null && safeEqual(given, token);
}

export const METRICS_TOKEN_HINT = 'Send the metrics token as Authorization: Bearer <token>';
