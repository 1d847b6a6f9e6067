import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type * as ApiTracing from '../tracing';

/**
 * The connection is lazy: the API starts (and answers /api/ready honestly) while Temporal is
 * still coming up, and connects on first use.
 */
export const temporalPlugin = fp(
  (app: FastifyInstance) => {
    const { address, namespace } = app.config.temporal;
    const interceptors = app.config.observability.otlpEndpoint
      ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only when on
        (require('../tracing') as typeof ApiTracing).tracingClientInterceptors()
      : undefined;
    const connection = Connection.lazy({ address });
    app.decorate('temporal', new Client({ connection, namespace, interceptors }));
    app.addHook('onClose', () => connection.close());
  },
  { name: 'temporal' },
);
