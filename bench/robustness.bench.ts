/**
 * Robustness: how far each hasher's distance moves under everyday transforms, against how close
 * unrelated images come, measured the way Thorn's `perception` benchmark does (see bench/lib/precision.ts
 * for the arithmetic). Writes bench/results/robustness.json, docs/robustness.md and docs/plots/.
 * Usage: npm run bench:robustness -- [--originals DIR] [--distractors DIR] [--threads N] [--limit N]
 * (--limit N takes the first N files of each folder, for a quick look).
 */
import { readdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { tryHexToBytes } from '../src/hash/codec.js';
import { hammingWords, toWords } from '../src/hash/distance.js';
import { DIHEDRAL_NAMES, HASH_TYPES } from '../src/hash/types.js';
import { HashPool } from '../src/worker/pool.js';
import type { HashOptions, HashResult } from '../src/worker/protocol.js';
import { fprAt, minDistance, recallAt, thresholdAtFpr, thresholdAtPrecision } from './lib/precision.js';
import { benchArgs, machineInfo, percentile, REPO_ROOT, RESULTS_DIR, SHARED_DATASETS } from './lib/report.js';
import { writeRobustnessDoc } from './lib/robustness-doc.js';
import {
  applyTransform,
  decodeForTransforms,
  type RawImage,
  seedFrom,
  TRANSFORMS,
} from './lib/transforms.js';

sharp.concurrency(1);
sharp.cache(false);

const args = benchArgs();
const ORIGINALS = args.get('originals') ?? join(SHARED_DATASETS, 'originals');
const DISTRACTORS = args.get('distractors') ?? join(SHARED_DATASETS, 'distinct');
const THREADS = Math.max(1, Number(args.get('threads') ?? availableParallelism()));
const LIMIT = args.has('limit') ? Number(args.get('limit')) : Number.POSITIVE_INFINITY;
/** The precision target of Thorn's published table. */
const PRECISION = 0.9999;
/** Everything the hashers below need, from one decode per image. */
const HASH_OPTIONS: HashOptions = { pdqVariants: ['reference', 'full'], dihedral: true, trimBorders: true };

/** One image's hashes as 32-bit words (the layout the Hamming loops want). */
interface Hashes {
  readonly ref: Uint32Array;
  readonly full: Uint32Array;
  readonly phash: Uint32Array;
  /** The 8 dihedral PDQ (reference) hashes, 8 words each. */
  readonly dihedral: Uint32Array;
  /** PDQ (reference) of the border-trimmed image, when a border was found. */
  readonly refTrimmed: Uint32Array | null;
}

/** A hasher as the matcher would use it: one hash per list entry, one or more per query (min wins). */
export interface Hasher {
  readonly name: string;
  readonly label: string;
  readonly bits: number;
  readonly defaultThreshold: number;
  readonly list: (h: Hashes) => Uint32Array;
  readonly query: (h: Hashes) => Uint32Array;
}

const words = (hex: string, bytes: number): Uint32Array => {
  const b = tryHexToBytes(hex, bytes);
  if (!b) throw new Error(`bad hash ${hex}`);
  return toWords(b);
};

function concatWords(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function toHashes(r: HashResult): Hashes {
  const ref = r.pdq.reference;
  const full = r.pdq.full;
  if (!ref?.dihedral || !full) throw new Error('missing PDQ variants');
  const dih = ref.dihedral;
  const trimmed = r.pdqTrimmed?.reference;
  return {
    ref: words(ref.hex, 32),
    full: words(full.hex, 32),
    phash: words(r.phash, 8),
    dihedral: concatWords(DIHEDRAL_NAMES.map((n) => words(dih[n], 32))),
    refTrimmed: trimmed ? words(trimmed.hex, 32) : null,
  };
}

const PDQ_T = HASH_TYPES.pdq.defaultThreshold;
export const HASHERS: readonly Hasher[] = [
  { name: 'pdq', label: 'PDQ', bits: 256, defaultThreshold: PDQ_T, list: (h) => h.ref, query: (h) => h.ref },
  {
    name: 'pdq-full',
    label: 'PDQ full',
    bits: 256,
    defaultThreshold: PDQ_T,
    list: (h) => h.full,
    query: (h) => h.full,
  },
  {
    name: 'pdq-dihedral',
    label: 'PDQ + dihedral',
    bits: 256,
    defaultThreshold: PDQ_T,
    list: (h) => h.ref,
    query: (h) => h.dihedral,
  },
  {
    name: 'phash',
    label: 'pHash',
    bits: 64,
    defaultThreshold: HASH_TYPES.phash.defaultThreshold,
    list: (h) => h.phash,
    query: (h) => h.phash,
  },
  {
    name: 'pdq-trim',
    label: 'PDQ + trim',
    bits: 256,
    defaultThreshold: PDQ_T,
    list: (h) => h.ref,
    query: (h) => (h.refTrimmed ? concatWords([h.ref, h.refTrimmed]) : h.ref),
  },
];

/** Min distance of any of the query's hashes (`w` words each) to list entry `j`. */
function queryDistance(q: Uint32Array, list: Uint32Array, j: number, w: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let k = 0; k < q.length / w; k++) best = Math.min(best, hammingWords(q, k, list, j, w));
  return best;
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping results in order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (x: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function listImages(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp|gif|tiff?|avif)$/i.test(f)).sort();
  return files.slice(0, LIMIT).map((f) => join(dir, f));
}

const t0 = performance.now();
const originals = await listImages(ORIGINALS);
const distractors = await listImages(DISTRACTORS);
const listFiles = [...originals, ...distractors];
const pool = new HashPool({ threads: THREADS, maxQueue: 4 * THREADS, taskTimeoutMs: 60_000 });
const inFlight = 2 * THREADS;

// The list: originals then distractors, hashed once. Originals are also decoded once for the transforms.
const decoded: RawImage[] = [];
const listHashes = await mapLimit(listFiles, inFlight, async (file, i) => {
  const bytes = await readFile(file);
  if (i < originals.length) decoded[i] = await decodeForTransforms(bytes);
  return toHashes(await pool.hash(bytes, HASH_OPTIONS));
});
const tList = performance.now();

// The queries: every transform of every original.
const jobs = TRANSFORMS.flatMap((t, ti) => originals.map((file, i) => ({ t, ti, i, file })));
const queryHashes: Hashes[][] = TRANSFORMS.map(() => []);
let done = 0;
await mapLimit(jobs, inFlight, async ({ t, ti, i, file }) => {
  const bytes = await applyTransform(decoded[i]!, t, seedFrom(`${relative(ORIGINALS, file)}|${t.name}`));
  queryHashes[ti]![i] = toHashes(await pool.hash(bytes, HASH_OPTIONS));
  if (++done % 500 === 0) process.stderr.write(`  ${done}/${jobs.length} transformed copies hashed\n`);
});
await pool.close();
decoded.length = 0;
const tQueries = performance.now();

const n = listFiles.length;
const results = HASHERS.map((h) => {
  const w = h.bits / 32;
  const list = concatWords(listHashes.map(h.list));
  // Unrelated pairs: every image as a query against every other image's list hash.
  const negHist = new Float64Array(h.bits + 1);
  for (let a = 0; a < n; a++) {
    const q = h.query(listHashes[a]!);
    for (let b = 0; b < n; b++) if (b !== a) negHist[queryDistance(q, list, b, w)]! += 1;
  }
  const allPos: number[] = [];
  const allNeg: number[] = [];
  const transforms = TRANSFORMS.map((t, ti) => {
    const pos: number[] = [];
    const neg: number[] = [];
    originals.forEach((_, i) => {
      const q = h.query(queryHashes[ti]![i]!);
      pos.push(queryDistance(q, list, i, w));
      let closest = Number.POSITIVE_INFINITY;
      for (let j = 0; j < n; j++) if (j !== i) closest = Math.min(closest, queryDistance(q, list, j, w));
      neg.push(closest);
    });
    allPos.push(...pos);
    allNeg.push(...neg);
    const at = thresholdAtPrecision(pos, neg, h.bits, PRECISION);
    const sorted = [...pos].sort((x, y) => x - y);
    return {
      transform: t.name,
      family: t.family,
      threshold: at.threshold,
      recall: at.recall,
      recallAtDefault: recallAt(pos, h.defaultThreshold),
      falseMatchesAtDefault: neg.filter((d) => d <= h.defaultThreshold).length,
      median: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      max: sorted[sorted.length - 1] ?? Number.NaN,
      distances: pos,
    };
  });
  const overall = thresholdAtPrecision(allPos, allNeg, h.bits, PRECISION);
  return {
    hasher: h.name,
    label: h.label,
    bits: h.bits,
    defaultThreshold: h.defaultThreshold,
    overall: {
      threshold: overall.threshold,
      recall: overall.recall,
      recallAtDefault: recallAt(allPos, h.defaultThreshold),
      queriesWithFalseMatchAtDefault: allNeg.filter((d) => d <= h.defaultThreshold).length,
      queries: allPos.length,
    },
    unrelated: {
      pairs: n * (n - 1),
      minDistance: minDistance(negHist),
      fprAtDefault: fprAt(negHist, h.defaultThreshold),
      thresholdAtFpr1e5: thresholdAtFpr(negHist, 1e-5),
      histogram: Array.from(negHist),
    },
    transforms,
  };
});
const tEnd = performance.now();

const trimmedShare = (hs: readonly Hashes[]) => hs.filter((x) => x.refTrimmed).length / hs.length;
const report = {
  machine: machineInfo(),
  config: {
    originals: relative(REPO_ROOT, ORIGINALS),
    distractors: relative(REPO_ROOT, DISTRACTORS),
    originalCount: originals.length,
    distractorCount: distractors.length,
    precisionTarget: PRECISION,
    threads: THREADS,
    transforms: TRANSFORMS.map((t) => ({ name: t.name, family: t.family, description: t.description })),
  },
  seconds: {
    hashList: (tList - t0) / 1000,
    transformAndHash: (tQueries - tList) / 1000,
    distances: (tEnd - tQueries) / 1000,
  },
  trimFound: {
    list: trimmedShare(listHashes),
    byTransform: Object.fromEntries(TRANSFORMS.map((t, ti) => [t.name, trimmedShare(queryHashes[ti]!)])),
  },
  results,
};
await writeRobustnessDoc(report, join(RESULTS_DIR, 'robustness.json'), join(REPO_ROOT, 'docs'));
console.log(
  `robustness: ${jobs.length} copies, ${n} list images, ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);
