/**
 * Hashing throughput: decode-only ceilings vs every hashing path, one core and the pool, in one run.
 * Usage: npm run bench:hash -- [--dir DIR] [--second-dir DIR] [--seconds N] [--distance-dirs A,B]
 * Defaults: ../shared/datasets/large (else fixtures/pdq-vectors), ../shared/datasets/originals.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { parseHash } from '../src/hash/codec.js';
import { hammingBytes } from '../src/hash/distance.js';
import { computePdq, lumaFromPixels, pdqFromLuma } from '../src/hash/pdq.js';
import { decodeImage } from '../src/image/decode.js';
import { hashImage } from '../src/worker/compute.js';
import { HashPool } from '../src/worker/pool.js';
import { FAST_DECODE_MIN_SIDE } from '../src/worker/protocol.js';
import {
  benchArgs,
  machineInfo,
  machineLine,
  markdownTable,
  percentile,
  REPO_ROOT,
  SHARED_DATASETS,
  writeReport,
} from './lib/report.js';

sharp.concurrency(1);
sharp.cache(false);

interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly run: (bytes: Buffer) => Promise<unknown>;
}

async function loadImages(dir: string): Promise<{ files: string[]; buffers: Buffer[]; megapixels: number }> {
  const files = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp|gif|tiff?|avif)$/i.test(f)).sort();
  const buffers = await Promise.all(files.map((f) => readFile(join(dir, f))));
  let mp = 0;
  for (const b of buffers) {
    const m = await sharp(b).metadata();
    mp += ((m.width ?? 0) * (m.height ?? 0)) / 1e6;
  }
  return { files, buffers, megapixels: mp };
}

/** Runs `fn` over all images repeatedly for at least `seconds` (whole passes), returns images/s. */
async function rate(
  buffers: Buffer[],
  seconds: number,
  fn: (b: Buffer) => Promise<unknown>,
): Promise<number> {
  for (const b of buffers.slice(0, 3)) await fn(b); // warm-up
  let n = 0;
  const t0 = performance.now();
  do {
    for (const b of buffers) {
      await fn(b);
      n++;
    }
  } while (performance.now() - t0 < seconds * 1000);
  return n / ((performance.now() - t0) / 1000);
}

async function poolRate(buffers: Buffer[], seconds: number, threads: number): Promise<number> {
  const pool = new HashPool({ threads, maxQueue: 4096 });
  try {
    await Promise.all(buffers.slice(0, threads * 2).map((b) => pool.hash(Buffer.from(b))));
    let n = 0;
    const t0 = performance.now();
    do {
      const window = threads * 4;
      let next = 0;
      const workers = Array.from({ length: window }, async () => {
        while (next < buffers.length) {
          const b = buffers[next++]!;
          await pool.hash(Buffer.from(b));
          n++;
        }
      });
      await Promise.all(workers);
    } while (performance.now() - t0 < seconds * 1000);
    return n / ((performance.now() - t0) / 1000);
  } finally {
    await pool.close();
  }
}

function scenarios(): Scenario[] {
  return [
    {
      name: 'decode-full',
      description: 'sharp decode to raw RGB, full size (ceiling)',
      run: (b) => sharp(b, { ignoreIcc: true }).raw().toBuffer(),
    },
    {
      name: 'decode-shrink',
      description: `sharp shrink-on-load decode to raw RGB (ceiling of the fast path)`,
      run: (b) => decodeImage(b, { shrinkOnLoadMinSide: FAST_DECODE_MIN_SIDE }),
    },
    {
      name: 'decode-grey-sharp',
      description: "sharp decode with sharp's own greyscale conversion",
      run: (b) => sharp(b, { ignoreIcc: true }).greyscale().raw().toBuffer(),
    },
    {
      name: 'hash-reference',
      description: 'all hashes, PDQ `reference` (decode + squash + PDQ + pHash + MD5/SHA)',
      run: (b) => hashImage(b, { pdqVariants: ['reference'] }),
    },
    {
      name: 'hash-reference-dihedral',
      description: 'all hashes, PDQ `reference` with the 8 dihedrals',
      run: (b) => hashImage(b, { pdqVariants: ['reference'], dihedral: true }),
    },
    {
      name: 'hash-full',
      description: 'all hashes, PDQ `full` (no pre-resize)',
      run: (b) => hashImage(b, { pdqVariants: ['full'] }),
    },
    {
      name: 'hash-fast',
      description: 'all hashes, fast path (shrink-on-load, PDQ `full`)',
      run: (b) => hashImage(b, { pdqVariants: ['full'], fastDecode: true }),
    },
  ];
}

/** The PDQ hash step alone (luma → hash) on a 512×512 input, in ms per hash. */
async function pdqStepMs(
  buffers: Buffer[],
  seconds: number,
): Promise<{ lumaAndHashMs: number; hashOnlyMs: number }> {
  const img = await decodeImage(buffers[0]!);
  const squashed = await sharp(buffers[0]!, { ignoreIcc: true })
    .resize(512, 512, { fit: 'fill' })
    .raw()
    .toBuffer();
  const pixels = { width: 512, height: 512, channels: 3 as const, data: new Uint8Array(squashed) };
  void img;
  const luma = lumaFromPixels(pixels);
  let n = 0;
  let t0 = performance.now();
  do {
    computePdq(pixels);
    n++;
  } while (performance.now() - t0 < seconds * 500);
  const lumaAndHashMs = (performance.now() - t0) / n;
  n = 0;
  t0 = performance.now();
  do {
    pdqFromLuma(luma, 512, 512);
    n++;
  } while (performance.now() - t0 < seconds * 500);
  return { lumaAndHashMs, hashOnlyMs: (performance.now() - t0) / n };
}

/** Distance of the fast path's PDQ to the exact `full` PDQ, per image. */
async function fastPathDistances(
  dir: string,
): Promise<{ dir: string; images: number; shrunk: number; median: number; p99: number; max: number }> {
  const { buffers } = await loadImages(dir);
  const d: number[] = [];
  let shrunk = 0;
  for (const b of buffers) {
    const exact = await hashImage(b, { pdqVariants: ['full'] });
    const fast = await hashImage(b, { pdqVariants: ['full'], fastDecode: true });
    if (fast.fastDecode) shrunk++;
    d.push(hammingBytes(parseHash('pdq', exact.pdq.full!.hex), parseHash('pdq', fast.pdq.full!.hex)));
  }
  d.sort((a, b) => a - b);
  return {
    dir,
    images: buffers.length,
    shrunk,
    median: percentile(d, 50),
    p99: percentile(d, 99),
    max: d[d.length - 1] ?? 0,
  };
}

async function runSet(dir: string, seconds: number, cores: number) {
  const { files, buffers, megapixels } = await loadImages(dir);
  const results: Record<string, { description: string; imagesPerSecond: number; ratioToDecode: number }> = {};
  let base = 0;
  for (const s of scenarios()) {
    const r = await rate(buffers, seconds, s.run);
    if (s.name === 'decode-full') base = r;
    results[s.name] = { description: s.description, imagesPerSecond: r, ratioToDecode: r / base };
    process.stderr.write(`  ${s.name}: ${r.toFixed(1)} images/s\n`);
  }
  const pool1 = await poolRate(buffers, seconds, 1);
  const poolN = await poolRate(buffers, seconds, cores);
  results['pool-1'] = {
    description: 'pool, 1 thread, all hashes (reference)',
    imagesPerSecond: pool1,
    ratioToDecode: pool1 / base,
  };
  results[`pool-${cores}`] = {
    description: `pool, ${cores} threads, all hashes (reference)`,
    imagesPerSecond: poolN,
    ratioToDecode: poolN / base,
  };
  process.stderr.write(`  pool: 1 thread ${pool1.toFixed(1)}/s, ${cores} threads ${poolN.toFixed(1)}/s\n`);
  return {
    dir,
    images: files.length,
    megapixels: megapixels / files.length,
    results,
    poolScaling: poolN / pool1,
  };
}

async function main(): Promise<void> {
  const args = benchArgs();
  const seconds = Number(args.get('seconds') ?? 4);
  const large = join(SHARED_DATASETS, 'large');
  const dir = args.get('dir') ?? (existsSync(large) ? large : join(REPO_ROOT, 'fixtures', 'pdq-vectors'));
  const second = args.get('second-dir') ?? join(SHARED_DATASETS, 'originals');
  const distanceDirs = (
    args.get('distance-dirs') ?? `${join(SHARED_DATASETS, 'originals')},${join(SHARED_DATASETS, 'distinct')}`
  )
    .split(',')
    .filter((d) => existsSync(d));
  const cores = Number(args.get('threads') ?? machineInfo().cores);
  const machine = machineInfo();
  const sets = [];
  for (const d of [dir, second].filter((d) => existsSync(d))) {
    process.stderr.write(`hash bench: ${d}\n`);
    sets.push(await runSet(d, seconds, cores));
  }
  process.stderr.write('hash bench: PDQ step on 512×512\n');
  const step = await pdqStepMs(sets.length ? (await loadImages(dir)).buffers : [], seconds);
  const distances = [];
  for (const d of distanceDirs) {
    process.stderr.write(`hash bench: fast-path distance on ${d}\n`);
    distances.push(await fastPathDistances(d));
  }
  const json = {
    machine,
    sharp: sharp.versions,
    seconds,
    sets,
    pdqStep512: step,
    fastPathDistance: distances,
  };
  const rel = (p: string) => p.replace(`${REPO_ROOT}/`, '').replace(/^.*\/shared\//, '../shared/');
  const md: string[] = [
    machineLine(machine),
    `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}. One core unless the row says pool.`,
    '',
  ];
  for (const s of sets) {
    md.push(`**${rel(s.dir)}** — ${s.images} images, ${s.megapixels.toFixed(2)} MP on average:`, '');
    md.push(
      markdownTable(
        ['path', 'images/s', '× decode-only'],
        Object.entries(s.results).map(([name, r]) => [
          `${name}: ${r.description}`,
          r.imagesPerSecond.toFixed(1),
          r.ratioToDecode.toFixed(2),
        ]),
      ),
      '',
      `Pool scaling, ${cores} threads over 1: ${s.poolScaling.toFixed(2)}×.`,
      '',
    );
  }
  md.push(
    `PDQ step on a 512×512 RGB input: ${step.lumaAndHashMs.toFixed(2)} ms with luma conversion, ${step.hashOnlyMs.toFixed(2)} ms from luma.`,
    '',
    `Fast path (shrink-on-load, shorter side kept ≥ ${FAST_DECODE_MIN_SIDE} px) vs exact \`full\` PDQ, in bits:`,
    '',
    markdownTable(
      ['dataset', 'images', 'shrunk', 'median', 'p99', 'max'],
      distances.map((d) => [rel(d.dir), d.images, d.shrunk, d.median, d.p99, d.max]),
    ),
  );
  await writeReport('hash', json, md.join('\n'));
  process.stdout.write(`${md.join('\n')}\n`);
}

await main();
