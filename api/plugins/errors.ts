import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { DomainError } from '../../lib/errors';

interface ErrorBody {
  message: string;
  status: 'error';
}

const error = (message: string): ErrorBody => ({ message, status: 'error' });

/** Fastify's own client errors, reworded for API users. */
const FASTIFY_MESSAGES: Record<string, (e: FastifyError, limit: number) => string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (_e, limit) =>
    `Request body is too large: the limit is ${Math.round(limit / 1024 / 1024)} MB`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    'Unsupported Content-Type: send the body as application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: () => "Body cannot be empty when Content-Type is 'application/json'",
  FST_ERR_CTP_INVALID_JSON_BODY: () => 'Body is not valid JSON',
};

/** The one place that turns errors into `{message, status: "error"}` with the right code. */
export const errorsPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (err instanceof DomainError) {
        return reply.code(err.statusCode).headers(err.headers).send(error(err.message));
      }
      if (hasZodFastifySchemaValidationErrors(err)) {
        const where = err.validationContext ?? 'request';
        const problems = err.validation.map((v) => {
          const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
          return `${path ? `${where}.${path}` : where}: ${v.message}`;
        });
        return reply.code(400).send(error(`Invalid request: ${problems.join('; ')}`));
      }
      const reword = err.code ? FASTIFY_MESSAGES[err.code] : undefined;
      if (reword) {
        return reply
          .code(err.statusCode ?? 400)
          .send(error(reword(err, app.initialConfig.bodyLimit ?? 0)));
      }
      if (err instanceof SyntaxError || (err.statusCode === 400 && err.code === undefined)) {
        return reply.code(400).send(error('Body is not valid JSON'));
      }
      if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
        return reply.code(err.statusCode).send(error(err.message));
      }
      request.log.error({ err }, 'unhandled error');
      return reply.code(500).send(error('Internal server error'));
    });

    app.setNotFoundHandler((request, reply) =>
      reply.code(404).send(error(`Route ${request.method} ${request.url.split('?')[0]} not found`)),
    );
  },
  { name: 'errors' },
);
