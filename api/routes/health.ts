import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServiceUnavailableError } from '../../lib/errors';
import { envelope, ErrorSchema, ok } from '../schemas/common';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not answer in ${CHECK_TIMEOUT_MS} ms`)),
      CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const healthRoutes: FastifyPluginAsyncZod = async (app) => {
  const open = { public: true, rateLimit: false };

  app.get(
    '/api/health',
    {
      config: open,
      schema: {
        tags: ['health'],
        summary: 'Liveness: the API process is up',
        security: [],
        response: { 200: envelope(z.object({ status: z.literal('ok') })) },
      },
    },
    () => ok({ status: 'ok' as const }),
  );

  app.get(
    '/api/ready',
    {
      config: open,
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database and Temporal are reachable',
        security: [],
        response: {
          200: envelope(z.object({ database: z.literal('ok'), temporal: z.literal('ok') })),
          503: ErrorSchema,
        },
      },
    },
    async () => {
      const database = app.database.kind === 'postgres' ? 'PostgreSQL' : 'MongoDB';
      const checks = await Promise.allSettled([
        withTimeout(app.database.ping(), database),
        withTimeout(app.temporal.workflowService.getSystemInfo({}), 'Temporal'),
      ]);
      const failures = checks.flatMap((c, i) =>
        c.status === 'rejected'
          ? [`${i === 0 ? database : 'Temporal'} unreachable (${(c.reason as Error).message})`]
          : [],
      );
      if (failures.length) throw new ServiceUnavailableError(`Not ready: ${failures.join('; ')}`);
      return ok({ database: 'ok' as const, temporal: 'ok' as const });
    },
  );
};
