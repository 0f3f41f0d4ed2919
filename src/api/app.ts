/**
 * The HTTP API as a Fastify instance that never listens (server.ts does; tests use `inject` or listen
 * on port 0). Everything it touches comes in `deps`, which the caller owns and closes.
 */
import { getHeapStatistics } from 'node:v8';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import underPressure from '@fastify/under-pressure';
import Fastify, { type FastifyInstance, LogController } from 'fastify';
import { HashwardenError } from '../errors.js';
import { installAuth } from './auth.js';
import type { ApiDeps } from './deps.js';
import { installErrorHandlers } from './errors.js';
import { installRequestLog } from './logging.js';
import { installMetrics } from './metrics.js';
import { auditRoutes } from './routes/audit.js';
import { entryRoutes } from './routes/entries.js';
import { hashRoutes } from './routes/hash.js';
import { healthRoutes } from './routes/health.js';
import { listRoutes } from './routes/lists.js';
import { lookupRoutes } from './routes/lookup.js';
import { matchRoutes } from './routes/match.js';
import { metricsRoutes } from './routes/metrics.js';
import { imageBodyDoc, SHARED_SCHEMAS } from './schemas.js';
import { addImageBodyParser, multipartLimits } from './upload.js';

export type { ApiDeps } from './deps.js';

const VERSION = '0.1.0';

/** OpenAPI request bodies the routes read themselves (so they carry no validating body schema). */
const BODY_DOCS: Record<string, unknown> = {
  '/v1/hash': imageBodyDoc,
  '/v1/match': imageBodyDoc,
  '/v1/lists/{list}/entries': {
    required: true,
    content: {
      'application/json': {
        schema: {
          type: 'object',
          required: ['type', 'value'],
          properties: {
            type: { type: 'string' },
            value: { type: 'string' },
            externalId: { type: 'string' },
            labels: { type: 'object' },
          },
        },
      },
      'application/x-ndjson': { schema: { type: 'string', example: '{"type":"pdq","value":"<64 hex>"}' } },
      'text/csv': { schema: { type: 'string', example: 'type,value,external_id\npdq,<64 hex>,case-1' } },
      'text/tab-separated-values': { schema: { type: 'string' } },
      'text/plain': { schema: { type: 'string', description: 'One hash a line (?type= required)' } },
    },
  },
};

/**
 * Shutdown behaviour: once `close()` has begun, new requests get 503 HW_ERR_POOL_CLOSED (with
 * Retry-After) instead of fastify's bare 503, and every reply, in-flight ones included, carries
 * `Connection: close`. Without that, a keep-alive client reuses the socket of a reply that finished
 * during the drain, and the server's idle sweep closes it under the client's next request, which
 * then fails with a reset instead of a refusal.
 */
function installDrain(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new HashwardenError('HW_ERR_POOL_CLOSED', 'The service is shutting down; retry later');
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
}

/** Builds the app: plugins, hooks, the error shape and every route group. Call `close()` when done. */
export async function buildApp(deps: ApiDeps): Promise<FastifyInstance> {
  const { config, store, matcher, pool } = deps;
  const app = Fastify({
    ...(deps.logger !== undefined ? { loggerInstance: deps.logger } : { logger: false }),
    // One line per request is written by logging.ts, with the key's name and without headers.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    // Slow bodies: the whole request must arrive in time, and an idle socket is dropped.
    requestTimeout: config.requestTimeoutMs,
    connectionTimeout: config.requestTimeoutMs,
    // Refusals while draining go through our own hook below, so they carry the error shape and a code.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true },
  }) as unknown as FastifyInstance;

  installErrorHandlers(app);
  installDrain(app);
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      info: {
        title: 'hashwarden',
        description: 'Perceptual-hash matching: PDQ, pHash and exact hashes against known-image hash lists',
        version: VERSION,
      },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _base, _fragment, i) => String(json.$id ?? `def-${i}`) },
    transformObject: (documentObject) => {
      const doc = (documentObject as { openapiObject?: { paths?: Record<string, Record<string, unknown>> } })
        .openapiObject;
      for (const [path, body] of Object.entries(BODY_DOCS)) {
        const post = doc?.paths?.[path]?.post as Record<string, unknown> | undefined;
        if (post !== undefined) post.requestBody = body;
      }
      return doc as never;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(underPressure, {
    maxEventLoopDelay: config.maxEventLoopDelayMs,
    maxHeapUsedBytes: Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    retryAfter: 1,
    pressureHandler: async (_request, reply, type) => {
      reply.header('retry-after', '1');
      throw new HashwardenError('HW_ERR_OVERLOADED', `The service is under pressure (${type}); retry later`);
    },
  });

  // Limits per key name once authenticated, per client address otherwise (failed keys included).
  await app.register(rateLimit, {
    global: false,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => (request.apiKey ? `key:${request.apiKey.name}` : `ip:${request.ip}`),
    errorResponseBuilder: (_request, context) =>
      new HashwardenError(
        'HW_ERR_RATE_LIMITED',
        `Rate limit of ${context.max} requests a minute; retry after ${context.after}`,
      ),
  });
  installAuth(app, store, app.rateLimit());

  await app.register(multipart, { limits: multipartLimits(config.maxBodyBytes) });
  addImageBodyParser(app, config.maxBodyBytes);
  installRequestLog(app);
  installMetrics(app, pool, matcher);

  await app.register(healthRoutes, deps);
  await app.register(metricsRoutes, deps);
  await app.register(hashRoutes, deps);
  await app.register(matchRoutes, deps);
  await app.register(lookupRoutes, deps);
  await app.register(listRoutes, deps);
  await app.register(entryRoutes, deps);
  await app.register(auditRoutes, deps);
  await app.ready();
  return app;
}
