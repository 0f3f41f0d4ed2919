/**
 * In-memory index benchmark: MIH against brute force, both measured in this run, on seeded synthetic
 * PDQ lists (uniform, and clustered: 1,000 centres with points 20–40 bits away) and a pHash list, or on
 * your own raw records. Run: npm run build && node --max-old-space-size=16000 dist/bench/index.bench.js
 *   --sizes 1000000,10000000   list sizes (default both)
 *   --quick                    100k and 1M, 300 queries
 *   --hashes FILE --queries FILE   raw 32-byte PDQ records instead of synthetic data
 *   --substrings 12,13,16      MIH layouts to compare (default: the layout rule's choice)
 *   --modes compact,fast       MIH table modes to measure (default both; src/index/types.ts)
 *   --bf N                     queries checked against brute force (default all up to 1M, 100 above)
 *   --no-huge-pages-compare    skip the re-run of the largest uniform list with huge pages switched
 *                              the other way (Linux; a child process, since glibc reads the setting
 *                              only at start; see src/huge-pages.ts)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HASH_TYPES, type HashType } from '../src/hash/types.js';
import { anonHugeBytes, withHugePages } from '../src/huge-pages.js';
import { LinearIndex } from '../src/index/linear.js';
import { MIH_DEFAULTS, MihIndex } from '../src/index/mih.js';
import type { HashIndex, IndexMatch, IndexMode } from '../src/index/types.js';
import { benchArgs, machineInfo, machineLine, markdownTable, percentile, writeReport } from './lib/report.js';

const args = benchArgs();
const quick = args.has('quick');
const QUERIES = quick ? 300 : Number(args.get('queries-count') ?? 1000);
const modes = (args.get('modes') ?? 'compact,fast').split(',') as IndexMode[];
/** Internal: the child run of the huge-pages comparison (uniform lists only, rows printed as JSON). */
const onlyUniform = args.has('only-uniform');
const CHILD_MARK = 'HW_BENCH_ROWS ';

/** mulberry32: a tiny seeded PRNG, so every run measures the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

function randomHashes(n: number, bytes: number, rnd: () => number): Uint8Array {
  const out = new Uint8Array(n * bytes);
  const w = new Uint32Array(out.buffer);
  for (let i = 0; i < w.length; i++) w[i] = rnd();
  return out;
}

/** Flips `k` distinct random bits of the `bytes`-byte hash at `h[o…]`. */
function flip(h: Uint8Array, o: number, bytes: number, k: number, rnd: () => number): void {
  const bits = bytes * 8;
  const seen = new Set<number>();
  while (seen.size < k) {
    const b = rnd() % bits;
    if (seen.has(b)) continue;
    seen.add(b);
    h[o + (b >>> 3)]! ^= 1 << (b & 7);
  }
}

function clustered(n: number, bytes: number, rnd: () => number): Uint8Array {
  const centres = randomHashes(1000, bytes, rnd);
  const out = new Uint8Array(n * bytes);
  for (let i = 0; i < n; i++) {
    const c = rnd() % 1000;
    out.set(centres.subarray(c * bytes, c * bytes + bytes), i * bytes);
    flip(out, i * bytes, bytes, 20 + (rnd() % 21), rnd);
  }
  return out;
}

/** Half planted (a list entry moved 0..radius bits), half fresh from the same distribution. */
function makeQueries(data: Uint8Array, fresh: Uint8Array, bytes: number, radius: number, rnd: () => number) {
  const n = data.length / bytes;
  const q = new Uint8Array(QUERIES * bytes);
  for (let i = 0; i < QUERIES; i++) {
    if (i % 2 === 0) {
      const p = rnd() % n;
      q.set(data.subarray(p * bytes, p * bytes + bytes), i * bytes);
      flip(q, i * bytes, bytes, rnd() % (radius + 1), rnd);
    } else {
      const j = i >>> 1;
      q.set(fresh.subarray(j * bytes, j * bytes + bytes), i * bytes);
    }
  }
  return q;
}

function key(ms: IndexMatch[]): string {
  return ms
    .map((m) => `${m.id}:${m.distance}`)
    .sort()
    .join(',');
}

function timeQueries(index: HashIndex, queries: Uint8Array, bytes: number, radius: number, count: number) {
  const lat = new Float64Array(count);
  const results: IndexMatch[][] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const s = process.hrtime.bigint();
    results.push(index.search(queries.subarray(i * bytes, i * bytes + bytes), radius));
    lat[i] = Number(process.hrtime.bigint() - s) / 1e3;
  }
  const totalS = Number(process.hrtime.bigint() - t0) / 1e9;
  lat.sort();
  return { results, qps: count / totalS, p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

interface Scenario {
  readonly name: string;
  readonly type: HashType;
  readonly data: Uint8Array;
  readonly queries: Uint8Array;
  readonly radius: number;
}

const round = (x: number, d = 0) => Math.round(x * 10 ** d) / 10 ** d;

function run(s: Scenario, substrings: readonly (number | undefined)[]) {
  const { bytes } = HASH_TYPES[s.type];
  const n = s.data.length / bytes;
  const nq = s.queries.length / bytes;
  const ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) ids[i] = i;
  const bfCount = Math.min(nq, Number(args.get('bf') ?? (n > 1_000_000 ? 100 : nq)));
  const linear = LinearIndex.build(s.type, s.data, ids);
  const bf = timeQueries(linear, s.queries, bytes, s.radius, bfCount);
  const rows = [];
  for (const mode of modes)
    for (const m of substrings) {
      global.gc?.();
      const t0 = performance.now();
      const index = MihIndex.build(s.type, s.data, ids, m === undefined ? { mode } : { mode, substrings: m });
      const buildMs = performance.now() - t0;
      timeQueries(index, s.queries, bytes, s.radius, Math.min(nq, 50)); // warm-up: JIT the search path
      const t = timeQueries(index, s.queries, bytes, s.radius, nq);
      let truth = 0;
      let found = 0;
      let exact = 0;
      for (let i = 0; i < bfCount; i++) {
        const want = new Set(bf.results[i]!.map((r) => `${r.id}:${r.distance}`));
        truth += want.size;
        for (const r of t.results[i]!) if (want.has(`${r.id}:${r.distance}`)) found++;
        if (key(bf.results[i]!) === key(t.results[i]!)) exact++;
      }
      let matches = 0;
      for (const r of t.results) matches += r.length;
      const layout = index.layout;
      rows.push({
        scenario: s.name,
        type: s.type,
        n,
        radius: s.radius,
        mode,
        substrings: layout?.m ?? 0,
        widths: layout === null ? '' : [...new Set(layout.widths)].join('/'),
        buildMs: round(buildMs),
        bytesPerEntry: round(index.memoryBytes() / n, 1),
        queries: nq,
        qps: round(t.qps),
        p50us: round(t.p50, 1),
        p99us: round(t.p99, 1),
        matchesPerQuery: round(matches / nq, 2),
        bfChecked: bfCount,
        bfQps: round(bf.qps, 1),
        recall: truth === 0 ? 1 : found / truth,
        identicalAnswers: `${exact}/${bfCount}`,
        speedup: round(t.qps / bf.qps, 1),
      });
      console.log(JSON.stringify(rows.at(-1)));
      index.close();
    }
  return rows;
}

function scenarios(): Scenario[] {
  // Each scenario has its own seed, so a child run of one scenario sees the same data.
  let rnd = prng(0x5eed);
  const pdq = HASH_TYPES.pdq;
  if (args.has('hashes')) {
    const data = new Uint8Array(readFileSync(args.get('hashes')!));
    const queries = args.has('queries')
      ? new Uint8Array(readFileSync(args.get('queries')!))
      : makeQueries(data, randomHashes(QUERIES, 32, rnd), 32, pdq.defaultThreshold, rnd);
    return [{ name: 'file', type: 'pdq', data, queries, radius: pdq.defaultThreshold }];
  }
  const sizes = (args.get('sizes') ?? (quick ? '100000,1000000' : '1000000,10000000')).split(',').map(Number);
  const out: Scenario[] = [];
  for (const n of sizes) {
    const r = pdq.defaultThreshold;
    rnd = prng(0x5eed ^ n);
    const uni = randomHashes(n, 32, rnd);
    out.push({
      name: 'pdq uniform',
      type: 'pdq',
      data: uni,
      radius: r,
      queries: makeQueries(uni, randomHashes(QUERIES, 32, rnd), 32, r, rnd),
    });
    if (onlyUniform) continue;
    rnd = prng(0xc1a5 ^ n);
    const clu = clustered(n, 32, rnd);
    out.push({
      name: 'pdq clustered',
      type: 'pdq',
      data: clu,
      radius: r,
      queries: makeQueries(clu, clustered(QUERIES, 32, rnd), 32, r, rnd),
    });
  }
  if (onlyUniform) return out;
  // Hot buckets: a tenth of the list is 100 values repeated (flat images, one hash in many lists).
  const n0 = Math.min(...sizes);
  rnd = prng(0xd0b ^ n0);
  const dup = randomHashes(n0, 32, rnd);
  for (let i = 0; i < n0; i += 10) dup.copyWithin(i * 32, (i % 1000) * 32, (i % 1000) * 32 + 32);
  const dr = pdq.defaultThreshold;
  out.push({
    name: 'pdq 10% duplicates',
    type: 'pdq',
    data: dup,
    radius: dr,
    queries: makeQueries(dup, randomHashes(QUERIES, 32, rnd), 32, dr, rnd),
  });
  const nMax = Math.max(...sizes);
  rnd = prng(0x9a54 ^ nMax);
  const ph = randomHashes(nMax, 8, rnd);
  const r = HASH_TYPES.phash.defaultThreshold;
  out.push({
    name: 'phash uniform',
    type: 'phash',
    data: ph,
    radius: r,
    queries: makeQueries(ph, randomHashes(QUERIES, 8, rnd), 8, r, rnd),
  });
  return out;
}

const layouts = args.has('substrings') ? args.get('substrings')!.split(',').map(Number) : [undefined];
const rows: ReturnType<typeof run> = [];
for (const s of scenarios()) {
  // A pHash layout sweep makes no sense with PDQ's substring counts: use the rule for pHash.
  rows.push(...run(s, s.type === 'pdq' ? layouts : [undefined]));
}
const machine = machineInfo();
const hugeMiB = Math.round((anonHugeBytes() ?? 0) / 2 ** 20);
if (onlyUniform) {
  console.log(
    CHILD_MARK + JSON.stringify(rows.map((r) => ({ ...r, hugePages: machine.hugePages, hugeMiB }))),
  );
  process.exit(0);
}
for (const r of rows) Object.assign(r, { hugePages: machine.hugePages });

/**
 * Huge pages on against off, measured in this run: the largest uniform list again in a child process
 * started with the tunable switched the other way (glibc reads it only at start).
 */
function compareHugePages() {
  if (process.platform !== 'linux' || args.has('no-huge-pages-compare') || args.has('hashes')) return null;
  // The largest uniform list in its default mode there (compact above 4M entries).
  const uniform = rows.filter((r) => r.scenario === 'pdq uniform');
  const largest = uniform.at(-1)?.n;
  const want = largest !== undefined && largest > MIH_DEFAULTS.fastMaxEntries ? 'compact' : 'fast';
  const mine = uniform.filter((r) => r.n === largest).find((r) => r.mode === want) ?? uniform.at(-1);
  if (mine === undefined) return null;
  const child = spawnSync(
    process.execPath,
    [
      ...process.execArgv,
      fileURLToPath(import.meta.url),
      '--sizes',
      String(mine.n),
      '--only-uniform',
      '--bf',
      '0',
      '--modes',
      mine.mode,
      ...(quick ? ['--quick'] : []),
      ...(args.has('substrings') ? ['--substrings', args.get('substrings')!] : []),
    ],
    {
      env: withHugePages(process.env, !machine.hugePages),
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const line = child.stdout.split('\n').find((l) => l.startsWith(CHILD_MARK));
  if (child.status !== 0 || line === undefined) {
    console.error(`huge-pages comparison failed (exit ${child.status})`);
    return null;
  }
  const other = (
    JSON.parse(line.slice(CHILD_MARK.length)) as ((typeof rows)[number] & { hugeMiB: number })[]
  ).at(-1)!;
  const on = machine.hugePages ? mine : other;
  const off = machine.hugePages ? other : mine;
  return {
    n: mine.n,
    mode: mine.mode,
    on: { qps: on.qps, p50us: on.p50us, p99us: on.p99us, buildMs: on.buildMs },
    off: { qps: off.qps, p50us: off.p50us, p99us: off.p99us, buildMs: off.buildMs },
    onHugeMiB: machine.hugePages ? hugeMiB : other.hugeMiB,
    searchSpeedup: round(on.qps / off.qps, 2),
  };
}
const huge = compareHugePages();
const md = [
  machineLine(machine),
  '',
  `Single thread, ${QUERIES} queries (half planted at distance 0..r, half fresh from the same distribution); brute force (LinearIndex) on the same data in the same run. Recall counts (id, distance) pairs against brute force on the checked queries.`,
  '',
  markdownTable(
    [
      'scenario',
      'mode',
      'n',
      'r',
      'm×bits',
      'build s',
      'B/entry',
      'q/s',
      'p50 µs',
      'p99 µs',
      'brute q/s',
      'speed-up',
      'recall (checked)',
    ],
    rows.map((x) => [
      x.scenario,
      x.mode,
      x.n.toLocaleString('en'),
      x.radius,
      `${x.substrings}×${x.widths}`,
      round(x.buildMs / 1000, 2),
      x.bytesPerEntry,
      x.qps.toLocaleString('en'),
      x.p50us,
      x.p99us,
      x.bfQps,
      `${x.speedup}×`,
      `${x.recall} (${x.bfChecked})`,
    ]),
  ),
  ...(huge === null
    ? []
    : [
        '',
        `Huge pages (src/huge-pages.ts), pdq uniform at ${huge.n.toLocaleString('en')} (${huge.mode} mode), the same data searched in this run with \`GLIBC_TUNABLES=glibc.malloc.hugetlb=1\` (${huge.onHugeMiB} MiB in huge pages) and without: ${huge.on.qps.toLocaleString('en')} q/s (p50 ${huge.on.p50us} µs, p99 ${huge.on.p99us} µs, build ${round(huge.on.buildMs / 1000, 2)} s) against ${huge.off.qps.toLocaleString('en')} q/s (p50 ${huge.off.p50us} µs, p99 ${huge.off.p99us} µs, build ${round(huge.off.buildMs / 1000, 2)} s): **${huge.searchSpeedup}×**.`,
      ]),
].join('\n');
await writeReport('index', { machine, quick, queries: QUERIES, rows, hugePages: huge }, md);
console.log(md);
