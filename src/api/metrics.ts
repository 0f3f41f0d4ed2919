/**
 * Prometheus metrics, in a Registry of the app's own (two apps in one process, as in tests, never
 * collide): requests by route and status, latency, the hashing pool, index sizes and matches by list.
 * Gauges read their value at scrape time, so nothing is updated on the request path but counters.
 */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Matcher } from '../service/matcher.js';
import type { HashPool } from '../worker/pool.js';

/** The metrics one app updates. */
export interface ApiMetrics {
  readonly registry: Registry;
  /** Seconds one image spent in the pool (queue wait + decode + hash), by route. */
  readonly hashSeconds: Histogram<'route'>;
  /** Matches reported, by list. */
  readonly matches: Counter<'list'>;
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

/** Creates the registry and its collectors, and hooks request counting into `app`. */
export function installMetrics(app: FastifyInstance, pool: HashPool, matcher: Matcher): ApiMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'hashwarden' });
  collectDefaultMetrics({ register: registry, prefix: 'hashwarden_' });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'hashwarden_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'hashwarden_http_request_duration_seconds',
    help: 'HTTP request latency by method, route pattern and status',
    labelNames,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const hashSeconds = new Histogram({
    name: 'hashwarden_pool_task_seconds',
    help: 'Time one image spends in the hashing pool (queue wait, decode and hashes)',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const matches = new Counter({
    name: 'hashwarden_matches_total',
    help: 'Matches reported, by list',
    labelNames: ['list'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'hashwarden_pool_queue_depth',
    help: 'Hashing tasks waiting for a worker thread',
    registers: [registry],
    collect() {
      this.set(pool.queueSize);
    },
  });
  new Gauge({
    name: 'hashwarden_pool_in_flight',
    help: 'Hashing tasks running or waiting',
    registers: [registry],
    collect() {
      this.set(pool.inFlight);
    },
  });
  new Gauge({
    name: 'hashwarden_pool_threads',
    help: 'Hashing worker threads',
    registers: [registry],
    collect() {
      this.set(pool.threads);
    },
  });
  new Gauge({
    name: 'hashwarden_index_entries',
    help: 'Entries held in the in-memory index, by hash type',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      for (const s of matcher.stats()) this.set({ type: s.type }, s.size);
    },
  });
  new Gauge({
    name: 'hashwarden_index_memory_bytes',
    help: 'Bytes held by the in-memory index, by hash type',
    labelNames: ['type'] as const,
    registers: [registry],
    collect() {
      for (const s of matcher.stats()) this.set({ type: s.type }, s.memoryBytes);
    },
  });
  new Gauge({
    name: 'hashwarden_index_version',
    help: 'The change-log position the indexes reflect',
    registers: [registry],
    collect() {
      this.set(matcher.indexVersion);
    },
  });
  new Gauge({
    name: 'hashwarden_ready',
    help: '1 once the indexes are loaded',
    registers: [registry],
    collect() {
      this.set(matcher.ready ? 1 : 0);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    // The route pattern, not the URL: list names and ids must not explode the label set.
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });
  const metrics: ApiMetrics = { registry, hashSeconds, matches };
  app.decorate('metrics', metrics);
  return metrics;
}
