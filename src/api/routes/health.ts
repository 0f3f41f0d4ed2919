/** `/healthz` (the process answers) and `/readyz` (indexes loaded): public, for probes. */
import type { FastifyPluginAsync } from 'fastify';
import { HashwardenError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';

const probe = { public: true, rateLimit: false } as const;
/** Liveness must stay 200 under pressure: a busy process is not a dead one (readiness may say 503). */
const ignorePressure = () => undefined;

/** Registers the probes. */
export const healthRoutes: FastifyPluginAsync<ApiDeps> = async (app, { matcher }) => {
  app.get(
    '/healthz',
    {
      config: { ...probe, pressureHandler: ignorePressure },
      schema: {
        summary: 'Liveness: the process answers',
        tags: ['health'],
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: probe,
      schema: {
        summary: 'Readiness: 503 HW_ERR_NOT_READY until the indexes are loaded',
        tags: ['health'],
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string' }, indexVersion: { type: 'integer' } },
          },
          503: { $ref: 'Error#' },
        },
      },
    },
    async () => {
      if (!matcher.ready) throw new HashwardenError('HW_ERR_NOT_READY');
      return { status: 'ready', indexVersion: matcher.indexVersion };
    },
  );
};
