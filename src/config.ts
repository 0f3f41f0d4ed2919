/**
 * Configuration, read once at the edge: defaults in one object, overridden by `HASHWARDEN_*`
 * environment variables, then by command-line flags; validated and frozen. No other module reads
 * `process.env`.
 */
import { availableParallelism } from 'node:os';
import { HashwardenError } from './errors.js';
import { INDEX_MODES, type IndexMode } from './index/types.js';

export interface Config {
  readonly host: string;
  readonly port: number;
  /** SQLite database file. */
  readonly dbPath: string;
  /** Hashing worker threads. */
  readonly threads: number;
  /** Hashing tasks allowed to wait for a thread before requests get 503. */
  readonly maxQueue: number;
  /** Wall-clock budget of one hashing task, in ms. */
  readonly taskTimeoutMs: number;
  /** Largest request body (and image), in bytes. */
  readonly maxBodyBytes: number;
  /** Largest bulk-entry upload (NDJSON/CSV streamed into a list), in bytes; it is never held in memory. */
  readonly maxImportBytes: number;
  /** Largest image in pixels (width × height). */
  readonly maxPixels: number;
  /** libvips processing budget per image, in seconds. */
  readonly decodeTimeoutSeconds: number;
  /** Requests per minute allowed per API key (per IP when unauthenticated). */
  readonly rateLimitPerMinute: number;
  /** Whole-request timeout (slow bodies), in ms. */
  readonly requestTimeoutMs: number;
  /** How often the change log is polled, in ms (imports by other processes show up within this). */
  readonly changePollMs: number;
  /** In-flight requests are given this long to finish on SIGTERM, in ms. */
  readonly shutdownGraceMs: number;
  /** Event-loop delay past which requests get 503 (under pressure), in ms. */
  readonly maxEventLoopDelayMs: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /**
   * In-memory index tables (README, "Index memory"): `auto` (fast up to `indexFastMaxEntries` entries
   * of a hash type, compact above), `fast` (~2× quicker searches, ~290 bytes a PDQ entry) or `compact`
   * (~100 bytes a PDQ entry).
   */
  readonly indexMode: 'auto' | 'compact' | 'fast';
  /** Largest entry count of one hash type that `auto` indexes in fast mode. */
  readonly indexFastMaxEntries: number;
  /**
   * Threads that search the indexes for `/v1/lookup` batches (src/index/search-pool.ts), besides the
   * hashing threads; 0 searches on the event loop.
   */
  readonly searchThreads: number;
}

export const DEFAULT_CONFIG: Config = Object.freeze({
  host: '127.0.0.1',
  port: 8080,
  dbPath: './data/hashwarden.db',
  threads: availableParallelism(),
  maxQueue: 64,
  taskTimeoutMs: 15_000,
  maxBodyBytes: 20 * 1024 * 1024,
  maxImportBytes: 1024 * 1024 * 1024,
  maxPixels: 50_000_000,
  decodeTimeoutSeconds: 10,
  rateLimitPerMinute: 6000,
  requestTimeoutMs: 30_000,
  changePollMs: 500,
  shutdownGraceMs: 10_000,
  maxEventLoopDelayMs: 1000,
  logLevel: 'info',
  indexMode: 'auto',
  indexFastMaxEntries: 4_000_000,
  searchThreads: Math.min(availableParallelism(), 4),
});

type Key = keyof Config;
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The environment variable of each setting: `dbPath` → `HASHWARDEN_DB_PATH`. */
export function envName(key: Key): string {
  return `HASHWARDEN_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

function parseValue(key: Key, raw: unknown): Config[Key] {
  const fail = (why: string): never => {
    throw new HashwardenError(
      'HW_ERR_BAD_OPTION',
      `${key} (${envName(key)}): ${why}, got ${JSON.stringify(raw)}`,
    );
  };
  const def = DEFAULT_CONFIG[key];
  if (typeof def === 'number') {
    const n = typeof raw === 'number' ? raw : Number(String(raw).trim());
    if (!Number.isInteger(n)) return fail('must be an integer');
    const min = key === 'port' || key === 'maxQueue' || key === 'searchThreads' ? 0 : 1;
    if (n < min || (key === 'port' && n > 65535))
      return fail(`must be at least ${min}${key === 'port' ? ' and at most 65535' : ''}`);
    return n;
  }
  const s = String(raw).trim();
  if (key === 'logLevel' && !LOG_LEVELS.has(s)) return fail(`must be one of ${[...LOG_LEVELS].join(', ')}`);
  if (key === 'indexMode' && !INDEX_MODES.includes(s as IndexMode))
    return fail(`must be one of ${INDEX_MODES.join(', ')}`);
  if (s.length === 0) return fail('must not be empty');
  return s;
}

/**
 * Builds the frozen configuration: defaults, then environment (`HASHWARDEN_*`), then `overrides`
 * (command-line flags; undefined values are ignored). Throws HW_ERR_BAD_OPTION naming the bad setting.
 */
export function loadConfig(
  overrides: Partial<Record<Key, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const out: Record<string, unknown> = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(DEFAULT_CONFIG) as Key[]) {
    const fromEnv = env[envName(key)];
    if (fromEnv !== undefined && fromEnv !== '') out[key] = parseValue(key, fromEnv);
    const fromFlag = overrides[key];
    if (fromFlag !== undefined) out[key] = parseValue(key, fromFlag);
  }
  return Object.freeze(out) as unknown as Config;
}

/**
 * Default hashing threads of the batch commands (`hash`, `match`, `scan`): one more than the cores.
 * A task hands its image from thread to thread (the pool's JS thread, libuv's pool, the libvips
 * worker, and back), and each wake-up of a thread on another core leaves that core waiting: with one
 * thread a core, 9–16 % of the CPU time stayed idle in the hashing benchmark. A spare thread fills
 * those gaps: on 2 cores the pool went from 1.74× to 1.83× one core's rate (3 MP JPEGs) and from
 * 1.61× to 2.03× (≤ 1 MP), same run. `serve` keeps one thread a core (DEFAULT_CONFIG.threads): there
 * the spare thread lengthened the latency tail under load more than it added throughput (README,
 * "Hashing threads").
 */
export const BATCH_THREADS = availableParallelism() + 1;

/**
 * Hashing threads of a batch command: `flag` when given, else `HASHWARDEN_THREADS` when set (validated
 * as `loadConfig` does), else BATCH_THREADS.
 */
export function batchThreads(flag: number | undefined, env: NodeJS.ProcessEnv = process.env): number {
  const raw = flag ?? env[envName('threads')]?.trim();
  return raw === undefined || raw === '' ? BATCH_THREADS : (parseValue('threads', raw) as number);
}

/**
 * The database path CLI commands default to: `HASHWARDEN_DB_PATH` when set, else the built-in default.
 * (Commands that take `--db` need only this setting, so they do not validate the whole environment.)
 */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[envName('dbPath')]?.trim();
  return fromEnv ? fromEnv : DEFAULT_CONFIG.dbPath;
}

/** The settings table for README and `--help`: name, environment variable, default. */
export function describeConfig(): { key: Key; env: string; default: string }[] {
  return (Object.keys(DEFAULT_CONFIG) as Key[]).map((key) => ({
    key,
    env: envName(key),
    default: String(DEFAULT_CONFIG[key]),
  }));
}
