import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI 3 generated from the routes' zod schemas, at /api/openapi.json and /docs. */
export const openapiPlugin = fp(
  async (app: FastifyInstance) => {
    // The documentation itself needs no credentials and is not rate limited.
    app.addHook('onRoute', (route) => {
      if (route.url.startsWith('/docs'))
        route.config = { ...route.config, public: true, rateLimit: false };
    });

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Waflow API',
          version: '0.1.0',
          description:
            'WhatsApp workflow and automation engine. Every answer is an envelope: ' +
            '`{"data": ..., "status": "success"}` or `{"message": ..., "status": "error"}`.',
        },
        servers: [{ url: app.config.http.publicUrl }],
        components: {
          securitySchemes: {
            apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
            session: { type: 'apiKey', in: 'cookie', name: 'waflow_session' },
          },
        },
        security: [{ apiKey: [] }, { session: [] }],
      },
      transform: jsonSchemaTransform,
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });

    app.get(
      '/api/openapi.json',
      { schema: { hide: true }, config: { public: true, rateLimit: false } },
      () => app.swagger(),
    );
  },
  { name: 'openapi' },
);
