/**
 * Remote lookups for `scan --server`: the hashes of many files go to `POST /v1/lookup` in batches of
 * up to 1000; images never leave the machine. Dihedral PDQ hashes are sent as separate hashes and each
 * answer is mapped back to its transform. 429/5xx and network failures are retried with backoff
 * (honouring Retry-After); any other error status stops the scan (a bad key must not be retried).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { HashwardenError } from '../../errors.js';
import { DIHEDRAL_NAMES, type HashType, PDQ_MIN_QUALITY, type PdqVariant } from '../../hash/types.js';
import type { HashResult } from '../../worker/protocol.js';
import type { Match } from '../types.js';
import type { FileMatches, LookupBackend, ScanMatchOptions } from './lookup.js';

export interface RemoteOptions {
  /** Base URL of the hashwarden server, e.g. `https://hashwarden.internal:8080`. */
  readonly url: string;
  /** API key with the `match` scope. */
  readonly key: string;
  readonly pdqVariant: PdqVariant;
  readonly match: ScanMatchOptions;
  /** Hashes per request (the API takes at most 1000). */
  readonly batchHashes?: number;
  /** Requests in flight at once. */
  readonly concurrency?: number;
  /** Per-request timeout, ms. */
  readonly timeoutMs?: number;
  /** Retries of one request before the scan stops. */
  readonly retries?: number;
  /** How long a partial batch waits for more files before it is sent, ms. */
  readonly lingerMs?: number;
}

export const REMOTE_DEFAULTS = Object.freeze({
  batchHashes: 1000,
  concurrency: 4,
  timeoutMs: 30_000,
  retries: 6,
  lingerMs: 20,
});

interface Query {
  readonly type: HashType;
  readonly value: string;
  /** The transform a PDQ answer stands for (the server only knows it looked up a hash). */
  readonly transform?: string;
}

interface Pending {
  readonly queries: readonly Query[];
  readonly resolve: (m: FileMatches) => void;
  readonly reject: (err: unknown) => void;
  readonly pdqLowQuality: boolean;
}

interface LookupResponse {
  results: { matched: boolean; matches: Match[] }[];
}

/** Batches per-file lookups into `POST /v1/lookup` calls. */
export class RemoteLookup implements LookupBackend {
  readonly pdqVariants: readonly PdqVariant[];
  readonly #o: Required<Omit<RemoteOptions, 'match'>> & { match: ScanMatchOptions };
  #queue: Pending[] = [];
  #queued = 0;
  #timer: NodeJS.Timeout | undefined;
  #active = 0;
  readonly #waiters: (() => void)[] = [];
  #failed: unknown;

  constructor(options: RemoteOptions) {
    this.#o = { ...REMOTE_DEFAULTS, ...options, url: options.url.replace(/\/+$/, '') };
    if (this.#o.batchHashes < 12 || this.#o.batchHashes > 1000)
      throw new HashwardenError('HW_ERR_BAD_OPTION', '--batch-size must be from 12 to 1000 hashes');
    this.pdqVariants = [options.pdqVariant];
  }

  lookup(result: HashResult): Promise<FileMatches> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const { queries, pdqLowQuality } = this.#queriesOf(result);
    return new Promise<FileMatches>((resolve, reject) => {
      if (this.#queued + queries.length > this.#o.batchHashes) this.#flush();
      this.#queue.push({ queries, resolve, reject, pdqLowQuality });
      this.#queued += queries.length;
      if (this.#queued >= this.#o.batchHashes) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#o.lingerMs);
    });
  }

  #queriesOf(result: HashResult): { queries: Query[]; pdqLowQuality: boolean } {
    const queries: Query[] = [];
    const pdq = result.pdq[this.#o.pdqVariant];
    const lowQuality = pdq !== undefined && pdq.quality < PDQ_MIN_QUALITY;
    const allowed = !lowQuality || this.#o.match.includeLowQuality === true;
    // The image's PDQ, and its border-trimmed PDQ when the worker found a border (`trim:` transforms).
    const sets = [
      { hash: pdq, prefix: '' },
      { hash: result.pdqTrimmed?.[this.#o.pdqVariant], prefix: 'trim:' },
    ];
    for (const { hash, prefix } of sets) {
      if (hash === undefined || !allowed || (prefix !== '' && hash.quality < PDQ_MIN_QUALITY)) continue;
      queries.push({ type: 'pdq', value: hash.hex, transform: `${prefix}orig` });
      if (this.#o.match.dihedral !== false && hash.dihedral !== undefined) {
        for (const name of DIHEDRAL_NAMES) {
          const hex = hash.dihedral[name];
          if (name !== 'orig' && hex !== undefined)
            queries.push({ type: 'pdq', value: hex, transform: `${prefix}${name}` });
        }
      }
    }
    queries.push({ type: 'phash', value: result.phash });
    queries.push({ type: 'md5', value: result.md5 });
    queries.push({ type: 'sha1', value: result.sha1 });
    queries.push({ type: 'sha256', value: result.sha256 });
    return { queries, pdqLowQuality: lowQuality && this.#o.match.includeLowQuality !== true };
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#queue.length === 0) return;
    const batch = this.#queue;
    this.#queue = [];
    this.#queued = 0;
    void this.#send(batch);
  }

  async #send(batch: Pending[]): Promise<void> {
    // Bound the requests in flight; the scanner's window bounds how many batches can wait here.
    while (this.#active >= this.#o.concurrency) await new Promise<void>((r) => this.#waiters.push(r));
    this.#active++;
    try {
      // Once a request failed for good, queued batches fail at once instead of repeating it.
      if (this.#failed !== undefined) throw this.#failed;
      const hashes = batch.flatMap((p) => p.queries.map((q) => ({ type: q.type, value: q.value })));
      const response = await this.#post(hashes);
      let at = 0;
      for (const p of batch) {
        const answers = response.results.slice(at, at + p.queries.length);
        at += p.queries.length;
        p.resolve({ matches: merge(p.queries, answers), pdqLowQuality: p.pdqLowQuality });
      }
    } catch (err) {
      this.#failed ??= err;
      for (const p of batch) p.reject(err);
    } finally {
      this.#active--;
      this.#waiters.shift()?.();
    }
  }

  async #post(hashes: { type: HashType; value: string }[]): Promise<LookupResponse> {
    const m = this.#o.match;
    const body = JSON.stringify({
      hashes,
      pdqVariant: this.#o.pdqVariant,
      ...(m.lists !== undefined ? { lists: m.lists } : {}),
      ...(m.thresholds !== undefined ? { thresholds: m.thresholds } : {}),
    });
    let lastProblem = '';
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      let res: Response;
      try {
        res = await fetch(`${this.#o.url}/v1/lookup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#o.key}` },
          body,
          signal: AbortSignal.timeout(this.#o.timeoutMs),
        });
      } catch (err) {
        // Connection refused, reset, DNS, timeout: transient until the retries run out.
        lastProblem = (err as Error).name === 'TimeoutError' ? 'timed out' : String((err as Error).message);
        await sleep(backoffMs(attempt, undefined));
        continue;
      }
      if (res.ok) {
        const json = (await res.json()) as Partial<LookupResponse>;
        if (!Array.isArray(json.results) || json.results.length !== hashes.length) {
          throw new HashwardenError(
            'HW_ERR_REMOTE_LOOKUP',
            'the server answered with a malformed lookup response',
          );
        }
        return json as LookupResponse;
      }
      const problem = await errorOf(res);
      if (res.status === 429 || res.status >= 500) {
        lastProblem = problem;
        await sleep(backoffMs(attempt, res.headers.get('retry-after')));
        continue;
      }
      throw new HashwardenError('HW_ERR_REMOTE_LOOKUP', problem);
    }
    throw new HashwardenError(
      'HW_ERR_REMOTE_LOOKUP',
      `gave up after ${this.#o.retries + 1} attempts: ${lastProblem}`,
    );
  }

  /** Sends what is queued and waits for every request. */
  async close(): Promise<void> {
    this.#flush();
    while (this.#active > 0) await sleep(10);
  }
}

/** Exponential backoff from 250 ms, capped at 10 s; a server's Retry-After (seconds) wins when given. */
function backoffMs(attempt: number, retryAfter: string | null | undefined): number {
  const s = retryAfter === null || retryAfter === undefined ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 60_000);
  return Math.min(250 * 2 ** attempt, 10_000);
}

async function errorOf(res: Response): Promise<string> {
  try {
    const j = (await res.json()) as { error?: { code?: string; message?: string } };
    if (j.error?.code !== undefined) return `${res.status} ${j.error.code}: ${j.error.message ?? ''}`;
  } catch {
    // Not JSON: the status says enough.
  }
  return `${res.status} ${res.statusText}`;
}

/**
 * One file's matches from its hashes' answers: PDQ matches take the transform of the hash that found
 * them, an entry found by several hashes is kept once at its smallest distance, nearest first.
 */
function merge(queries: readonly Query[], answers: readonly { matches: Match[] }[]): Match[] {
  const best = new Map<number, Match>();
  answers.forEach((a, i) => {
    const q = queries[i];
    for (const m of a.matches ?? []) {
      const match = q?.transform !== undefined ? { ...m, transform: q.transform } : m;
      const prev = best.get(m.entryId);
      if (prev === undefined || match.distance < prev.distance) best.set(m.entryId, match);
    }
  });
  return [...best.values()].sort((a, b) => a.distance - b.distance || a.entryId - b.entryId);
}
