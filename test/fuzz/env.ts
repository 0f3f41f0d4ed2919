/**
 * The fuzz run's size and seed. Tests may read the environment (src/ reads it only in config.ts):
 * `HASHWARDEN_FUZZ_CASES=50000 npx vitest run test/fuzz` is the long local mode, and
 * `HASHWARDEN_FUZZ_SEED` replays another run. CI uses the defaults: a bounded, fixed run.
 */
function positiveIntEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return n;
}

/** In-process fuzz cases (default: the CI size). */
export function fuzzCases(fallback: number): number {
  return positiveIntEnv('HASHWARDEN_FUZZ_CASES', fallback);
}

/** Run seed (default fixed, so CI runs are reproducible). */
export function fuzzSeed(fallback = 0x5eed_1e55): number {
  return positiveIntEnv('HASHWARDEN_FUZZ_SEED', fallback);
}
