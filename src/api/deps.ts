/** What the API is built from: everything it touches comes in here, so tests can hand in their own. */
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Matcher } from '../service/matcher.js';
import type { Store } from '../store/store.js';
import type { HashPool } from '../worker/pool.js';

/** The app's dependencies. The caller owns them: the app never closes them (server.ts does). */
export interface ApiDeps {
  readonly config: Config;
  readonly store: Store;
  /** May still be loading: routes that need the indexes answer 503 HW_ERR_NOT_READY until `ready`. */
  readonly matcher: Matcher;
  readonly pool: HashPool;
  /** A pino logger (server.ts passes one with redaction); default: no logging. */
  readonly logger?: FastifyBaseLogger;
}
