/**
 * Hashing throughput: decode-only ceilings vs every hashing path, one core and the pool, in one run.
 * Usage: npm run bench:hash -- [--dir DIR] [--second-dir DIR] [--seconds N] [--rounds N]
 *          [--distance-dirs A,B] [--reference-cli PATH]
 * Defaults: ../shared/datasets/large (else fixtures/pdq-vectors), ../shared/datasets/originals.
 * `--reference-cli` names Meta's C++ `pdq-photo-hasher` (built outside the repo; see docs): it is timed
 * in the same run, on the same files, as a baseline, and its hashes are compared with our `reference`.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
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

/**
 * The single-core scenarios' rates (images/s), measured round-robin: `rounds` rounds, each running every
 * scenario for whole passes over all images until its share (`seconds` / `rounds`) has gone by. On a
 * shared machine the load drifts over a run; interleaving lets every scenario see the same drift, so the
 * ratios between them (hash-fast over decode-shrink, say) do not depend on which one ran in a quiet
 * moment. Each scenario still runs `seconds` in all, after a short warm-up.
 */
async function rates(
  buffers: Buffer[],
  seconds: number,
  rounds: number,
  list: readonly Scenario[],
): Promise<Map<string, number>> {
  for (const s of list) for (const b of buffers.slice(0, 3)) await s.run(b); // warm-up
  const images = new Map<string, number>();
  const ms = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    for (const s of list) {
      let n = 0;
      const t0 = performance.now();
      do {
        for (const b of buffers) {
          await s.run(b);
          n++;
        }
      } while (performance.now() - t0 < (seconds * 1000) / rounds);
      images.set(s.name, (images.get(s.name) ?? 0) + n);
      ms.set(s.name, (ms.get(s.name) ?? 0) + performance.now() - t0);
    }
  }
  return new Map(list.map((s) => [s.name, images.get(s.name)! / (ms.get(s.name)! / 1000)]));
}

/**
 * What the machine itself gives a CPU-bound job on `threads` threads: loop iterations a second summed
 * over threads, each running the same cache-resident arithmetic loop for `seconds` in its own worker.
 * Its scaling (N threads over 1, pinned as the pool rows are) is the baseline for the pool's: on these
 * shared VMs two threads rarely get twice one thread's work done, whatever they run.
 */
async function loopRate(threads: number, seconds: number): Promise<number> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const a = new Float64Array(4096);
    for (let i = 0; i < a.length; i++) a[i] = (i % 97) / 97;
    let s = 0, n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < workerData) {
      for (let i = 0; i < a.length; i++) s += a[i] * a[(i * 7) & 4095];
      n++;
    }
    parentPort.postMessage({ rate: n / ((performance.now() - t0) / 1000), s });`;
  const rates = await Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: seconds * 1000 });
          w.once('message', (m: { rate: number }) => {
            resolve(m.rate);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    ),
  );
  return rates.reduce((a, b) => a + b, 0);
}

/** The machine's CPU time counters (all CPUs) from /proc/stat, or null where there is none. */
function cpuTicks(): { idle: number; total: number } | null {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user).
    const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
    return { idle: f[3]! + f[4]!, total };
  } catch {
    return null;
  }
}

interface PoolRun {
  readonly imagesPerSecond: number;
  /** Share of the machine's CPU time that was idle during the run, in % (null: no /proc/stat). */
  readonly idlePercent: number | null;
}

async function poolRate(buffers: Buffer[], seconds: number, threads: number): Promise<PoolRun> {
  const pool = new HashPool({ threads, maxQueue: 4096 });
  try {
    await Promise.all(buffers.slice(0, threads * 2).map((b) => pool.hash(Buffer.from(b))));
    let n = 0;
    const ticks0 = cpuTicks();
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
    const imagesPerSecond = n / ((performance.now() - t0) / 1000);
    const ticks1 = cpuTicks();
    const idlePercent =
      ticks0 && ticks1 && ticks1.total > ticks0.total
        ? (100 * (ticks1.idle - ticks0.idle)) / (ticks1.total - ticks0.total)
        : null;
    return { imagesPerSecond, idlePercent };
  } finally {
    await pool.close();
  }
}

function scenarios(): Scenario[] {
  return [
    {
      name: 'decode-full',
      description: 'decodeImage, full size (the ceiling of every exact path)',
      run: (b) => decodeImage(b),
    },
    {
      name: 'decode-shrink',
      description: `decodeImage with shrink-on-load, shorter side ≥ ${FAST_DECODE_MIN_SIDE} (ceiling of the fast path)`,
      run: (b) => decodeImage(b, { shrinkOnLoadMinSide: FAST_DECODE_MIN_SIDE }),
    },
    {
      name: 'decode-raw-sharp',
      description: 'bare `sharp().raw()`, full size (no header check, for reference)',
      run: (b) => sharp(b, { ignoreIcc: true }).raw().toBuffer(),
    },
    {
      name: 'decode-grey-sharp',
      description: "bare sharp decode with sharp's own greyscale conversion",
      run: (b) => sharp(b, { ignoreIcc: true }).greyscale().raw().toBuffer(),
    },
    {
      name: 'digests',
      description: "MD5 + SHA-1 + SHA-256 of the file's bytes alone (no decode; part of every hash row)",
      run: async (b) => {
        for (const a of ['md5', 'sha1', 'sha256']) createHash(a).update(b).digest('hex');
      },
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

const run = promisify(execFile);

/**
 * The CLI's environment: ImageMagick held to one thread (per-core figures, like ours), and
 * `--cli-path-prefix` (default /usr/bin) first on PATH, so the CLI runs ImageMagick's real `convert`
 * rather than any wrapper earlier on PATH, whose start-up would be charged to the CLI.
 */
function cliEnv(): NodeJS.ProcessEnv {
  const prefix = benchArgs().get('cli-path-prefix') ?? '/usr/bin';
  return {
    ...process.env,
    PATH: `${prefix}:${process.env.PATH ?? ''}`,
    MAGICK_THREAD_LIMIT: '1',
    OMP_NUM_THREADS: '1',
  };
}

/**
 * Meta's C++ CLI over `paths`, whole passes until `seconds` have gone by: one process per file (how it
 * is used from scripts) or one process for all the files. ImageMagick is held to one thread so that the
 * figure is per core, like ours (sharp.concurrency(1)). Returns images/s.
 */
async function cliRate(cli: string, paths: string[], seconds: number, perFile: boolean): Promise<number> {
  const env = cliEnv();
  const opts = { env, maxBuffer: 64 << 20 };
  await run(cli, paths.slice(0, 2), opts); // warm-up (page cache, ImageMagick's config files)
  let n = 0;
  const t0 = performance.now();
  do {
    if (perFile) {
      for (const p of paths) await run(cli, [p], opts);
    } else {
      await run(cli, paths, opts);
    }
    n += paths.length;
  } while (performance.now() - t0 < seconds * 1000);
  return n / ((performance.now() - t0) / 1000);
}

/** Our `reference` PDQ against the CLI's, per file: Hamming distances and quality mismatches. */
async function cliConformance(cli: string, paths: string[], buffers: Buffer[]) {
  const { stdout } = await run(cli, ['-k', ...paths], { maxBuffer: 64 << 20, env: cliEnv() }).catch(
    (err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }),
  );
  const theirs = new Map<string, { hex: string; quality: number }>();
  for (const line of stdout.split('\n')) {
    const [hex, quality, ...file] = line.split(',');
    if (hex && /^[0-9a-f]{64}$/.test(hex)) theirs.set(file.join(','), { hex, quality: Number(quality) });
  }
  const d: number[] = [];
  let qualityMismatches = 0;
  let missing = 0;
  for (let i = 0; i < paths.length; i++) {
    const ref = theirs.get(paths[i]!);
    if (!ref) {
      missing++;
      continue;
    }
    const ours = (await hashImage(buffers[i]!, { pdqVariants: ['reference'] })).pdq.reference!;
    d.push(hammingBytes(parseHash('pdq', ours.hex), parseHash('pdq', ref.hex)));
    if (ours.quality !== ref.quality) qualityMismatches++;
  }
  d.sort((a, b) => a - b);
  return {
    images: paths.length,
    compared: d.length,
    missing,
    identical: d.filter((x) => x === 0).length,
    median: percentile(d, 50),
    max: d[d.length - 1] ?? 0,
    qualityMismatches,
  };
}

/** The PDQ hash step alone (luma → hash) on a 512×512 input, in ms per hash. */
async function pdqStepMs(
  buffers: Buffer[],
  seconds: number,
): Promise<{ lumaAndHashMs: number; hashOnlyMs: number }> {
  const squashed = await sharp(buffers[0]!, { ignoreIcc: true })
    .resize(512, 512, { fit: 'fill' })
    .raw()
    .toBuffer();
  const pixels = { width: 512, height: 512, channels: 3 as const, data: new Uint8Array(squashed) };
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

interface Row {
  readonly description: string;
  /** null: not measured (the CLI rows when no `--reference-cli` is given). */
  readonly imagesPerSecond: number | null;
  ratioToDecode: number | null;
  ratioToCliPerFile?: number | null;
  ratioToCliBatch?: number | null;
}

/**
 * Pins every thread of this process (and so the threads and processes it starts next: the CLI, pool
 * workers) to CPU 0, or releases them to all `cores`, with util-linux `taskset`. "One core" rows run
 * pinned: unpinned, libvips decodes on a thread of its own while the JS thread computes the digests,
 * so a "single-thread" row would use more than one core, and the pool of 1 would too. Returns false
 * when taskset is missing or refused (the rows then run unpinned, and the report says so).
 */
async function pinTo(cpus: string): Promise<boolean> {
  try {
    await run('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]);
    return true;
  } catch {
    return false;
  }
}

let pinned = true;

async function runSet(dir: string, seconds: number, rounds: number, cores: number, cli: string | null) {
  const { files, buffers, megapixels } = await loadImages(dir);
  const paths = files.map((f) => join(dir, f));
  const results: Record<string, Row> = {};
  const put = (name: string, description: string, r: number | null) => {
    results[name] = { description, imagesPerSecond: r, ratioToDecode: null };
    process.stderr.write(`  ${name}: ${r === null ? 'not measured' : `${r.toFixed(1)} images/s`}\n`);
  };
  const cliWhat = 'Meta `pdq-photo-hasher` (C++ -O3, ImageMagick decode, 1 thread)';
  pinned = (await pinTo('0')) && pinned;
  // The CLI rows come first so that a failing binary stops the run before the long part.
  put(
    'cli-per-file',
    `${cliWhat}, one process per file`,
    cli ? await cliRate(cli, paths, seconds, true) : null,
  );
  put(
    'cli-batch',
    `${cliWhat}, one process for all files`,
    cli ? await cliRate(cli, paths, seconds, false) : null,
  );
  const list = scenarios();
  const measured = await rates(buffers, seconds, rounds, list);
  for (const s of list) put(s.name, s.description, measured.get(s.name)!);
  const idle: Record<string, number | null> = {};
  const putPool = (name: string, description: string, r: PoolRun) => {
    put(name, description, r.imagesPerSecond);
    idle[name] = r.idlePercent;
  };
  putPool('pool-1', 'pool, 1 thread on 1 core, all hashes (reference)', await poolRate(buffers, seconds, 1));
  const loopOne = await loopRate(1, seconds);
  pinned = (await pinTo(`0-${cores - 1}`)) && pinned;
  const perCore = `pool-${cores}`;
  const batch = `pool-${cores + 1}`;
  putPool(
    perCore,
    `pool, ${cores} threads on ${cores} cores (one a core: \`serve\`'s default), all hashes (reference)`,
    await poolRate(buffers, seconds, cores),
  );
  putPool(
    batch,
    `pool, ${cores + 1} threads on ${cores} cores (a spare thread: \`hash\` and \`scan\`'s default), all hashes (reference)`,
    await poolRate(buffers, seconds, cores + 1),
  );
  const loopAll = await loopRate(cores, seconds);
  const ips = (name: string) => results[name]?.imagesPerSecond ?? null;
  const ratio = (a: number | null, b: number | null) => (a !== null && b !== null ? a / b : null);
  const bound = (a: number | null, b: number | null) =>
    a !== null && b !== null ? 1 / (1 / a + 1 / b) : null;
  const base = ips('decode-full');
  for (const [name, r] of Object.entries(results)) {
    r.ratioToDecode = ratio(r.imagesPerSecond, base);
    if (!name.startsWith('cli-')) {
      r.ratioToCliPerFile = ratio(r.imagesPerSecond, ips('cli-per-file'));
      r.ratioToCliBatch = ratio(r.imagesPerSecond, ips('cli-batch'));
    }
  }
  return {
    dir,
    images: files.length,
    megapixels: megapixels / files.length,
    results,
    /** The batch pool (cores + 1 threads) over the pool of 1 on one core. */
    poolScaling: ratio(ips(batch), ips('pool-1')),
    /** One thread a core over the pool of 1. */
    poolScalingPerCore: ratio(ips(perCore), ips('pool-1')),
    /** Idle share of the machine's CPU time during each pool row, in %. */
    poolIdlePercent: idle,
    machineScaling: loopAll / loopOne,
    fastToShrinkDecode: ratio(ips('hash-fast'), ips('decode-shrink')),
    /**
     * What the fast path could reach if PDQ and pHash were free: the shrink-on-load decode and the three
     * digests alone, one after the other (images/s), and that over the batch CLI.
     */
    fastBoundWithDigests: bound(ips('decode-shrink'), ips('digests')),
    fastBoundWithDigestsToCliBatch: ratio(bound(ips('decode-shrink'), ips('digests')), ips('cli-batch')),
    cliConformance: cli ? await cliConformance(cli, paths, buffers) : null,
  };
}

const fmt = (v: number | null | undefined, digits: number) => (v == null ? '—' : v.toFixed(digits));

async function main(): Promise<void> {
  const args = benchArgs();
  const seconds = Number(args.get('seconds') ?? 4);
  const rounds = Math.max(1, Math.trunc(Number(args.get('rounds') ?? 4)));
  const large = join(SHARED_DATASETS, 'large');
  const dir = args.get('dir') ?? (existsSync(large) ? large : join(REPO_ROOT, 'fixtures', 'pdq-vectors'));
  const second = args.get('second-dir') ?? join(SHARED_DATASETS, 'originals');
  const distanceDirs = (
    args.get('distance-dirs') ??
    `${join(SHARED_DATASETS, 'originals')},${join(SHARED_DATASETS, 'distinct')},${join(SHARED_DATASETS, 'large')}`
  )
    .split(',')
    .filter((d) => existsSync(d));
  const cli = args.get('reference-cli') ?? null;
  if (cli !== null && !existsSync(cli)) throw new Error(`--reference-cli ${cli}: no such file`);
  const cores = Number(args.get('threads') ?? machineInfo().cores);
  const machine = machineInfo();
  const loadBefore = os.loadavg();
  const sets = [];
  for (const d of [dir, second].filter((d) => existsSync(d))) {
    process.stderr.write(`hash bench: ${d}\n`);
    sets.push(await runSet(d, seconds, rounds, cores, cli));
  }
  process.stderr.write('hash bench: PDQ step on 512×512\n');
  pinned = (await pinTo('0')) && pinned;
  const step = await pdqStepMs(sets.length ? (await loadImages(dir)).buffers : [], seconds);
  pinned = (await pinTo(`0-${cores - 1}`)) && pinned;
  const distances = [];
  for (const d of distanceDirs) {
    process.stderr.write(`hash bench: fast-path distance on ${d}\n`);
    distances.push(await fastPathDistances(d));
  }
  const loadAfter = os.loadavg();
  const json = {
    machine,
    sharp: sharp.versions,
    seconds,
    rounds,
    loadAverage1m: { before: loadBefore[0], after: loadAfter[0] },
    referenceCli: cli,
    pinnedSingleCore: pinned,
    sets,
    pdqStep512: step,
    fastPathDistance: distances,
  };
  const rel = (p: string) => p.replace(`${REPO_ROOT}/`, '').replace(/^.*\/shared\//, '../shared/');
  const md: string[] = [
    machineLine(machine),
    `sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}. One core unless the row says pool ` +
      (pinned
        ? `(every thread of the process, and the CLI, pinned to CPU 0 with \`taskset\`; the pool of 1 too, the larger pools on all ${cores}). `
        : '(NOT pinned: `taskset` was unavailable, so "one core" rows may overlap decoding with hashing on a second core). ') +
      `Load average (1 min) ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after: ` +
      'ratios are within one run, absolute rates move with the load. The single-core decode and hash rows ' +
      `run round-robin, ${rounds} rounds of ${fmt(seconds / rounds, 1)} s each, so they share the load's drift.`,
    '',
  ];
  for (const s of sets) {
    md.push(`**${rel(s.dir)}** — ${s.images} images, ${s.megapixels.toFixed(2)} MP on average:`, '');
    md.push(
      markdownTable(
        ['path', 'images/s', '× decode-full', '× CLI per file', '× CLI batch'],
        Object.entries(s.results).map(([name, r]) => [
          `${name}: ${r.description}`,
          r.imagesPerSecond === null ? 'not measured' : r.imagesPerSecond.toFixed(1),
          fmt(r.ratioToDecode, 2),
          fmt(r.ratioToCliPerFile, 2),
          fmt(r.ratioToCliBatch, 2),
        ]),
      ),
      '',
      `Pool scaling over the pool of 1 on one core: ${fmt(s.poolScaling, 2)}× with ${cores + 1} threads on ${cores} cores (the batch default), ` +
        `${fmt(s.poolScalingPerCore, 2)}× with ${cores}. The machine's CPU time left idle during those two rows: ` +
        `${fmt(s.poolIdlePercent[`pool-${cores + 1}`], 1)} % and ${fmt(s.poolIdlePercent[`pool-${cores}`], 1)} %. ` +
        `The machine's own scaling in the same run (a CPU-bound arithmetic loop in ${cores} threads over 1, pinned the same way, right after the pool rows): ${fmt(s.machineScaling, 2)}×.`,
      '',
      `Fast path over its decode-only ceiling (hash-fast / decode-shrink): ${fmt(s.fastToShrinkDecode, 2)}. ` +
        `The shrink-on-load decode plus the three digests alone, as if PDQ and pHash were free: ${fmt(s.fastBoundWithDigests, 1)} images/s, ` +
        `${fmt(s.fastBoundWithDigestsToCliBatch, 2)}× the batch CLI: the most the fast path can reach with every hash.`,
      '',
    );
    const c = s.cliConformance;
    if (c) {
      md.push(
        `Our \`reference\` PDQ vs the C++ CLI on the same files: ${c.identical} of ${c.compared} identical, ` +
          `median distance ${c.median}, max ${c.max} bits; quality differs on ${c.qualityMismatches}` +
          `${c.missing ? `; ${c.missing} not hashed by the CLI` : ''}.`,
        '',
      );
    }
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
