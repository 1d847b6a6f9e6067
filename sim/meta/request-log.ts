import type { FastifyRequest } from 'fastify';
import { appendBounded, type SimState } from './state';
import type { RequestLogEntry } from './types';

const entries = new WeakMap<FastifyRequest, RequestLogEntry>();

export function openEntry(state: SimState, req: FastifyRequest): RequestLogEntry {
  const entry: RequestLogEntry = {
    time: new Date(state.now()).toISOString(),
    method: req.method,
    path: req.url,
    authorization: bearerToken(req) !== null,
    body: null,
    status: null,
    error_code: null,
    wamid: null,
    outcome: 'answered',
  };
  appendBounded(state.requestLog, entry);
  entries.set(req, entry);
  return entry;
}

export const entryOf = (req: FastifyRequest) => entries.get(req);

/** The access token, from `Authorization: Bearer` or Graph's `access_token` query parameter. */
export function bearerToken(req: FastifyRequest): string | null {
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (match?.[1]) return match[1];
  const query = req.query as Record<string, unknown> | undefined;
  return typeof query?.access_token === 'string' && query.access_token !== ''
    ? query.access_token
    : null;
}
