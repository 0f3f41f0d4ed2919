/**
 * Mutation fuzzing of every decoded format (issue 7). CI runs a bounded, fixed-seed set in-process
 * (decodeImage + every hash, as a worker does) and a sample through a real HashPool;
 * `HASHWARDEN_FUZZ_CASES=50000` runs a long local session. Failures print the case index and the
 * mutations: `fuzzCase(seeds, seed, index)` rebuilds the exact bytes.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashImage } from '../../src/worker/compute.js';
import { HashPool } from '../../src/worker/pool.js';
import { fuzzCases, fuzzSeed } from './env.js';
import { FUZZ_FORMATS } from './mutate.js';
import { gcAndRss } from './rss.js';
import { type FuzzStats, runFuzz } from './run.js';
import { makeSeeds, type Seeds } from './seeds.js';

/** CI sizes: two in-process passes of ~5 s and ~2 s through the pool, on 2 cores. */
const IN_PROCESS_CASES = fuzzCases(3000);
const POOL_CASES = Math.min(300, Math.max(60, Math.floor(IN_PROCESS_CASES / 10)));
const SEED = fuzzSeed();
/** Generous: libvips' own timeout is 10 s; a case pending past this is a hang, not slowness. */
const BUDGET_MS = 30_000;
/** RSS may grow by this much over a run (allocator caches, JIT); a leak per case would pass it. */
const RSS_SLACK_BYTES = 150 * 2 ** 20;

function expectClean(stats: FuzzStats): void {
  const shown = stats.failures
    .slice(0, 10)
    .map((f) => `#${f.index} ${f.format} [${f.ops.join(', ')}] ${f.kind}: ${f.detail}`);
  expect(shown, `seed ${stats.seed}`).toEqual([]);
  expect(stats.unhandledRejections).toBe(0);
  const total = Object.values(stats.outcomes).reduce((a, b) => a + b, 0);
  expect(total).toBe(stats.cases);
}

let seeds: Seeds;
beforeAll(async () => {
  // As in a worker thread (src/worker/task.ts): no libvips operation cache.
  sharp.cache(false);
  seeds = await makeSeeds();
});

describe('fuzzed images', () => {
  it('every seed is valid before mutation', async () => {
    for (const format of FUZZ_FORMATS) {
      for (const seed of seeds[format]) expect((await hashImage(seed)).format).toBe(format);
    }
  });

  it(`in-process: ${IN_PROCESS_CASES} mutated files each end in a hash or a typed 4xx error`, async () => {
    // The first pass is the baseline: glibc keeps freed memory in per-thread arenas, so RSS climbs to
    // a plateau and stays there (measured: ~380 MB over 12,000 cases with default arenas, ~140 MB with
    // MALLOC_ARENA_MAX=2). A second pass over the same cases allocates the same way: a leak would
    // add to the plateau, the allocator's high-water mark would not.
    const options = { seeds, cases: IN_PROCESS_CASES, seed: SEED, budgetMs: BUDGET_MS, concurrency: 2 };
    const first = await runFuzz({ ...options, hash: (b) => hashImage(b) });
    expectClean(first);
    const before = gcAndRss();
    const stats = await runFuzz({ ...options, hash: (b) => hashImage(b) });
    const after = gcAndRss();
    expectClean(stats);
    // Some of each: the mutations reach both the decoders' success paths and their error paths.
    for (const f of FUZZ_FORMATS) expect(Object.keys(stats.perFormat[f]).length).toBeGreaterThan(1);
    expect(after - before).toBeLessThan(RSS_SLACK_BYTES);
  }, 600_000);

  describe('through a real HashPool', () => {
    let pool: HashPool;
    beforeAll(() => {
      pool = new HashPool({ threads: 2, maxQueue: 16 });
    });
    afterAll(async () => {
      await pool.destroy();
    });

    it(`${POOL_CASES} mutated files: typed errors cross the thread boundary, threads stay alive`, async () => {
      const stats = await runFuzz({
        seeds,
        cases: POOL_CASES,
        seed: SEED,
        // Other cases than the in-process run's first ones.
        start: 1_000_000,
        budgetMs: BUDGET_MS,
        concurrency: 4,
        hash: (b) => pool.hash(b),
      });
      expectClean(stats);
      expect(pool.threadCount).toBe(2);
      expect((await pool.hash(seeds.png[0]!)).format).toBe('png');
    }, 600_000);
  });
});
