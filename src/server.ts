/**
 * The process wiring: config → store → matcher → pool → app → listen, then the indexes load while
 * /healthz and /readyz already answer. Shutdown runs in reverse: stop accepting, let in-flight
 * requests finish (bounded by shutdownGraceMs), then close the pool, the matcher and the database.
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { buildApp } from './api/app.js';
import type { Config } from './config.js';
import { anonHugeBytes, hugePagesHint, hugePagesRequested } from './huge-pages.js';
import { SearchPool } from './index/search-pool.js';
import { Matcher } from './service/matcher.js';
import { Store } from './store/store.js';
import { HashPool } from './worker/pool.js';

/** A started server and what it holds. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly store: Store;
  readonly matcher: Matcher;
  readonly pool: HashPool;
  /** Threads for batched lookups; null with `searchThreads` 0. */
  readonly searchPool: SearchPool | null;
  /** Resolves when the indexes are loaded (rejects when loading failed). */
  readonly ready: Promise<void>;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  /** Where the first admin key is printed (default: process stdout). Never the logger. */
  readonly print?: (text: string) => void;
  /** Logger (default: pino to stdout at config.logLevel, the authorization header redacted). */
  readonly logger?: FastifyBaseLogger;
}

/** The logger the server uses by default: JSON lines, credentials redacted wherever they appear. */
export function createLogger(config: Config): FastifyBaseLogger {
  return pino({
    level: config.logLevel,
    base: { service: 'hashwarden' },
    redact: {
      // `*.headers.authorization`: plugins log objects that carry the request headers one level down
      // (@fastify/multipart's trace line `{ busboyOptions: { headers } }` did, key in clear).
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.headers.authorization',
        'authorization',
        'key',
      ],
      censor: '[redacted]',
    },
  }) as unknown as FastifyBaseLogger;
}

/**
 * Creates an admin key when the database has no active key, and prints it once. It is not logged:
 * the key must not end up in log storage. Returns the key's name, or null when keys existed already.
 */
export function ensureFirstAdminKey(store: Store, print: (text: string) => void): string | null {
  if (store.keys.activeCount() > 0) return null;
  let name = 'admin';
  for (let n = 2; store.keys.get(name) !== undefined; n++) name = `admin-${n}`;
  const { key } = store.keys.create({ name, scopes: ['admin'] }, 'hashwarden-serve');
  print(
    `hashwarden: no API key existed, so an admin key named "${name}" was created.\n` +
      'It is shown only this once; store it now (e.g. in a secret manager):\n\n' +
      `  ${key}\n\n`,
  );
  return name;
}

/** Starts the server. The caller installs signal handlers and calls `close()` on them. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config);
  const print = options.print ?? ((text: string) => process.stdout.write(text));
  const store = Store.open(config.dbPath);
  let matcher: Matcher | undefined;
  let pool: HashPool | undefined;
  let app: FastifyInstance | undefined;
  const searchPool = config.searchThreads > 0 ? new SearchPool({ threads: config.searchThreads }) : null;
  try {
    ensureFirstAdminKey(store, print);
    matcher = new Matcher(store, {
      pollMs: config.changePollMs,
      onError: (err) => logger.error({ err }, 'following the change log failed'),
      index: {
        mode: config.indexMode,
        fastMaxEntries: config.indexFastMaxEntries,
        shared: searchPool !== null,
      },
      searchPool,
    });
    pool = new HashPool({
      threads: config.threads,
      maxQueue: config.maxQueue,
      taskTimeoutMs: config.taskTimeoutMs,
    });
    app = await buildApp({ config, store, matcher, pool, logger });
    const url = await app.listen({ host: config.host, port: config.port });
    logger.info(
      { url, db: config.dbPath, threads: pool.threads, searchThreads: searchPool?.threads ?? 0 },
      'listening; loading indexes',
    );
    const m = matcher;
    let closing = false;
    const started = performance.now();
    const ready = m.load().then(
      () => {
        const huge = anonHugeBytes();
        logger.info(
          {
            ms: Math.round(performance.now() - started),
            index: m.stats(),
            hugePages: hugePagesRequested(),
            ...(huge === null ? {} : { hugePageMiB: Math.round(huge / 2 ** 20) }),
          },
          'ready',
        );
        const hint = hugePagesHint();
        if (hint !== null) logger.info(hint);
      },
      (err: unknown) => {
        if (closing) return;
        logger.error({ err }, 'loading the indexes failed');
        throw err;
      },
    );
    // A caller that never awaits `ready` must not crash the process with an unhandled rejection.
    ready.catch(() => {});
    const running = { app, url, store, matcher: m, pool, searchPool, ready };
    let done: Promise<void> | undefined;
    const close = (): Promise<void> => {
      closing = true;
      done ??= shutdown(running, config.shutdownGraceMs, logger);
      return done;
    };
    return { ...running, close };
  } catch (err) {
    await app?.close();
    await pool?.destroy();
    await searchPool?.close();
    matcher?.close();
    store.close();
    throw err;
  }
}

async function shutdown(
  s: Omit<RunningServer, 'close' | 'url' | 'ready'>,
  graceMs: number,
  logger: FastifyBaseLogger,
): Promise<void> {
  logger.info({ graceMs }, 'shutting down: finishing in-flight requests');
  // Past the grace period, whatever is still running is cut off: hashing tasks fail, sockets close.
  const timer = setTimeout(() => {
    logger.warn('grace period over: closing the remaining connections');
    void s.pool.destroy();
    s.app.server.closeAllConnections();
  }, graceMs);
  timer.unref();
  // A keep-alive connection whose request finishes while draining turns idle and would hold close()
  // open until its keep-alive timeout: close such connections as they go idle.
  const sweeper = setInterval(() => s.app.server.closeIdleConnections(), 50);
  sweeper.unref();
  try {
    await s.app.close();
  } finally {
    clearTimeout(timer);
    clearInterval(sweeper);
    await s.pool.close();
    await s.searchPool?.close();
    s.matcher.close();
    s.store.close();
  }
  logger.info('stopped');
}
