/**
 * The fuzz loop, shared by the CI test (test/fuzz/fuzz.test.ts) and the long report run
 * (bench/reliability.bench.ts): case i mutates a seed of format FUZZ_FORMATS[i mod 6] with a PRNG
 * seeded from (run seed, i), hashes it, and classifies the outcome. A case passes when it ends in a
 * hash or a HashwardenError whose HTTP status is 4xx, within the budget; anything else is a failure
 * that names its seed, index and mutations, so it can be replayed.
 */
import { performance } from 'node:perf_hooks';
import { FUZZ_FORMATS, type FuzzFormat, mutate } from './mutate.js';
import { caseSeed, Rng } from './prng.js';
import type { Seeds } from './seeds.js';

/** One case that did not end well. */
export interface FuzzFailure {
  readonly index: number;
  readonly format: FuzzFormat;
  readonly ops: readonly string[];
  /** `hang` (past the budget), `untyped` (not a HashwardenError) or `status` (typed, but not 4xx). */
  readonly kind: 'hang' | 'untyped' | 'status';
  readonly detail: string;
}

export interface FuzzStats {
  readonly seed: number;
  readonly cases: number;
  /** Outcome counts ('ok' or the error code) per format. */
  readonly perFormat: Record<FuzzFormat, Record<string, number>>;
  readonly outcomes: Record<string, number>;
  readonly failures: readonly FuzzFailure[];
  readonly unhandledRejections: number;
  /** Wall time per case, ms (includes waiting for a thread when `concurrency` > 1). */
  readonly timeMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly seconds: number;
}

export interface FuzzOptions {
  readonly seeds: Seeds;
  readonly cases: number;
  readonly seed: number;
  /** First case index (so a second run covers other cases with the same seed). */
  readonly start?: number;
  /** Cases in flight at once. */
  readonly concurrency?: number;
  /** A case still pending after this long is a hang. */
  readonly budgetMs: number;
  /** Hashes one input; must reject with a HashwardenError for bad input. */
  readonly hash: (bytes: Uint8Array) => Promise<unknown>;
}

/** The mutated input of case `index` (deterministic: replay a failure with this). */
export function fuzzCase(
  seeds: Seeds,
  runSeed: number,
  index: number,
): { format: FuzzFormat; bytes: Buffer; ops: readonly string[] } {
  const format = FUZZ_FORMATS[index % FUZZ_FORMATS.length]!;
  const rng = new Rng(caseSeed(runSeed, index));
  const seed = rng.pick(seeds[format]);
  const { bytes, ops } = mutate(seed, format, rng);
  return { format, bytes, ops };
}

type Classified = { outcome: string } | { failure: Omit<FuzzFailure, 'index' | 'format' | 'ops'> };

function classify(err: unknown): Classified {
  const e = err as { name?: unknown; code?: unknown; status?: unknown; message?: unknown } | null;
  if (e?.name !== 'HashwardenError' || typeof e.code !== 'string' || typeof e.status !== 'number') {
    return { failure: { kind: 'untyped', detail: String((e as { stack?: unknown })?.stack ?? err) } };
  }
  if (e.status < 400 || e.status > 499) {
    return { failure: { kind: 'status', detail: `${e.code} (${e.status}): ${String(e.message)}` } };
  }
  return { outcome: e.code };
}

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** Runs the cases and returns counts, failures and per-case times. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzStats> {
  const perFormat = Object.fromEntries(FUZZ_FORMATS.map((f) => [f, {}])) as Record<
    FuzzFormat,
    Record<string, number>
  >;
  const outcomes: Record<string, number> = {};
  const failures: FuzzFailure[] = [];
  const times: number[] = [];
  let unhandled = 0;
  const onUnhandled = () => {
    unhandled++;
  };
  process.on('unhandledRejection', onUnhandled);
  const started = performance.now();
  const start = o.start ?? 0;
  let next = start;

  const one = async (index: number): Promise<void> => {
    const { format, bytes, ops } = fuzzCase(o.seeds, o.seed, index);
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<Classified>((resolve) => {
      timer = setTimeout(
        () => resolve({ failure: { kind: 'hang', detail: `pending after ${o.budgetMs} ms` } }),
        o.budgetMs,
      );
    });
    const done = o.hash(bytes).then(
      (): Classified => ({ outcome: 'ok' }),
      (err: unknown) => classify(err),
    );
    const result = await Promise.race([done, hang]);
    clearTimeout(timer);
    times.push(performance.now() - t0);
    if ('failure' in result) {
      failures.push({ index, format, ops, ...result.failure });
      return;
    }
    perFormat[format][result.outcome] = (perFormat[format][result.outcome] ?? 0) + 1;
    outcomes[result.outcome] = (outcomes[result.outcome] ?? 0) + 1;
  };

  const lane = async (): Promise<void> => {
    while (next < start + o.cases) await one(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 1) }, lane));
    // A rejection nobody handled surfaces on a later tick: give it one before counting.
    await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  times.sort((a, b) => a - b);
  return {
    seed: o.seed,
    cases: o.cases,
    perFormat,
    outcomes,
    failures,
    unhandledRejections: unhandled,
    timeMs: { p50: percentile(times, 0.5), p99: percentile(times, 0.99), max: times.at(-1) ?? 0 },
    seconds: (performance.now() - started) / 1000,
  };
}
