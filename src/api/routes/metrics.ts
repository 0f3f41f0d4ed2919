/**
 * `GET /metrics` in the Prometheus text format. Metric labels name lists, so it needs a key that may
 * read every list's metadata: `lists:read` (or admin) and not restricted to some lists.
 */
import type { FastifyPluginAsync } from 'fastify';
import { HashwardenError } from '../../errors.js';
import { allowedLists } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorResponses } from '../schemas.js';

/** Registers `GET /metrics`. */
export const metricsRoutes: FastifyPluginAsync<ApiDeps> = async (app) => {
  app.get(
    '/metrics',
    {
      config: { scope: 'lists:read' },
      schema: {
        summary: 'Prometheus metrics',
        tags: ['health'],
        security: [{ bearerAuth: [] }],
        produces: ['text/plain'],
        response: { 200: { type: 'string' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (allowedLists(request) !== undefined) {
        throw new HashwardenError(
          'HW_ERR_FORBIDDEN',
          'metrics name every list: a key restricted to lists cannot read them',
        );
      }
      const { registry } = app.metrics;
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );
};
