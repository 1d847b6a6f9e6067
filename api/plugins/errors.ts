import { isGrpcServiceError, ServiceError } from '@temporalio/client';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Socket } from 'node:net';
import { codeOfStatus, DomainError, ValidationError } from '../../lib/errors';
import { findNul } from '../nul-check';

interface ErrorBody {
  message: string;
  status: 'error';
  /** Machine-readable, stable: the README lists them. */
  code: string;
}

const error = (message: string, code: string): ErrorBody => ({ message, status: 'error', code });

/** Fastify's own client errors, reworded for API users. */
const FASTIFY_MESSAGES: Record<string, (e: FastifyError, limit: number) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, limit) =>
    `Request body is too large: the limit is ${limit >= 1024 * 1024 ? `${Math.round(limit / 1024 / 1024)} MB` : `${Math.ceil(limit / 1024)} KB`}`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    'Unsupported Content-Type: send the body as application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => "Body cannot be empty when Content-Type is 'application/json'",
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'Body is not valid JSON',
  FST_ERR_MAX_PARAM_LENGTH: () => 'URI too long: a path segment is over 100 characters',
  FST_ERR_BAD_URL: () => 'The URL is not valid',
};

/** Codes of Fastify's client errors that say more than their status. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_MAX_PARAM_LENGTH: 'uri_too_long',
  FST_ERR_BAD_URL: 'invalid_url',
};

/** A Fastify error's answer: reworded when it is one of the known ones. */
function fastifyError(err: FastifyError, limit: number): [number, ErrorBody] {
  const status = err.statusCode ?? 400;
  const reword = err.code ? FASTIFY_MESSAGES[err.code] : undefined;
  const code = (err.code ? FASTIFY_CODES[err.code] : undefined) ?? codeOfStatus(status);
  return [status, error(reword ? reword(err, limit) : err.message, code)];
}

/** gRPC codes that mean Temporal did not answer in time or cannot be reached. */
const TEMPORAL_UNAVAILABLE = new Set([4 /* DEADLINE_EXCEEDED */, 14 /* UNAVAILABLE */]);
const TEMPORAL_RETRY_AFTER_SECONDS = 5;

function temporalUnavailable(err: unknown): boolean {
  const cause = err instanceof ServiceError ? err.cause : err;
  return isGrpcServiceError(cause) && TEMPORAL_UNAVAILABLE.has(cause.code);
}

/** Errors Fastify's router raises before any route runs (Fastify's `frameworkErrors`). */
export function frameworkErrors(err: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const [status, body] = fastifyError(err, 0);
  void reply.code(status).send(body);
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (431 for oversized headers,
 * 400 for a malformed request): answered in the same envelope, then the connection closes.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, text, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'Request headers are too large']
      : err.code === 'HPE_URI_TOO_LONG'
        ? [414, 'URI Too Long', 'URI too long']
        : [400, 'Bad Request', 'Malformed HTTP request'];
  const body = JSON.stringify(error(message, codeOfStatus(status)));
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The one place that turns errors into `{message, status: "error", code}` with the right status. */
export const errorsPlugin = fp(
  (app: FastifyInstance) => {
    // Every route's path as a pattern, to tell a wrong method (405) from a wrong path (404).
    const routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();
    app.addHook('onRoute', (route) => {
      const source = route.url
        .split('/')
        .map((part) =>
          part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
        )
        .join('/');
      const entry = routes.get(source) ?? {
        pattern: new RegExp(`^${source}/?$`),
        methods: new Set(),
      };
      for (const method of [route.method].flat()) entry.methods.add(method.toUpperCase());
      routes.set(source, entry);
    });

    app.addHook('preValidation', async (request) => {
      for (const [location, value] of [
        ['params', request.params],
        ['querystring', request.query],
        ['body', request.routeOptions.config.rowsCheckedEach ? null : request.body],
      ] as const) {
        const where = findNul(value, location);
        if (where)
          throw new ValidationError(`Invalid request: ${where}: must not contain a NUL character`);
      }
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof DomainError) {
        return reply.code(err.statusCode).headers(err.headers).send(error(err.message, err.code));
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        const where = err.validationContext ?? 'request';
        const problems = err.validation.map((v) => {
          const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
          return `${path ? `${where}.${path}` : where}: ${v.message}`;
        });
        return reply
          .code(400)
          .send(error(`Invalid request: ${problems.join('; ')}`, 'validation_failed'));
      }
      if (temporalUnavailable(err)) {
        request.log.warn({ err }, 'Temporal unavailable');
        return reply
          .code(503)
          .header('retry-after', String(TEMPORAL_RETRY_AFTER_SECONDS))
          .send(
            error(
              'The workflow service (Temporal) is not answering; nothing was started. ' +
                `Try again in ${TEMPORAL_RETRY_AFTER_SECONDS} seconds.`,
              'workflow_service_unavailable',
            ),
          );
      }
      if (err.code && FASTIFY_MESSAGES[err.code]) {
        const limit = request.routeOptions.bodyLimit ?? app.initialConfig.bodyLimit ?? 0;
        const [status, body] = fastifyError(err, limit);
        return reply.code(status).send(body);
      }
      if (err instanceof SyntaxError || (err.statusCode === 400 && err.code === undefined)) {
        return reply.code(400).send(error('Body is not valid JSON', 'invalid_json'));
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send(error(err.message, codeOfStatus(err.statusCode)));
      }
      request.log.error({ err }, 'unhandled error');
      return reply.code(500).send(error('Internal server error', 'internal_error'));
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '/';
      const allowed = [...routes.values()].find((r) => r.pattern.test(path))?.methods;
      if (allowed && !allowed.has(request.method)) {
        const allow = [...allowed].sort().join(', ');
        return reply
          .code(405)
          .header('allow', allow)
          .send(
            error(
              `Method ${request.method} is not allowed on ${path}; allowed: ${allow}`,
              'method_not_allowed',
            ),
          );
      }
      return reply
        .code(404)
        .send(error(`Route ${request.method} ${path} not found`, 'route_not_found'));
    });
  },
  { name: 'errors' },
);
