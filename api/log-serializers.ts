import type { FastifyRequest } from 'fastify';

/** Query parameters whose values never reach a log: Meta's verify token is a credential. */
const SECRET_PARAMS = new Set(['hub.verify_token']);

const decodeKey = (key: string) => {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
};

/**
 * The URL with the values of secret query parameters replaced, the rest as received. Keys are
 * compared decoded, as the query parser reads them (`hub%2Everify_token` is the same key).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const pairs = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return SECRET_PARAMS.has(decodeKey(key)) ? `${key}=[REDACTED]` : pair;
    });
  return `${url.slice(0, q)}?${pairs.join('&')}`;
}

/** Fastify's request serializer, with secret query parameters redacted from the URL. */
export const logSerializers = {
  req: (req: FastifyRequest) => ({
    method: req.method,
    url: redactUrl(req.url),
    version: String(req.headers?.['accept-version'] ?? '') || undefined,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  }),
};
