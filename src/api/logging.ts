/**
 * One log line per request, written when the reply is done: request id, key name, route, status,
 * timings and match count. Never the key, never a header, never a byte of the image: fastify's own
 * request logging is off, so nothing else logs requests.
 */
import type { FastifyInstance } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Matches reported by this request (match and lookup routes), for the log line. */
    matchCount: number | null;
  }
}

/** Adds the per-request log line to `app`. */
export function installRequestLog(app: FastifyInstance): void {
  app.decorateRequest('matchCount', null);
  app.addHook('onResponse', async (request, reply) => {
    const line: Record<string, unknown> = {
      // The request id is on the child logger already; the key's name, never the key.
      keyName: request.apiKey?.name ?? null,
      method: request.method,
      route: request.routeOptions.url ?? 'unmatched',
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (request.matchCount !== null) line.matches = request.matchCount;
    const level = reply.statusCode >= 500 ? 'warn' : 'info';
    request.log[level](line, 'request');
  });
}
