/**
 * The mutation fuzzer's mutator: from a valid seed image and a seeded PRNG, one mutated file. Half
 * the mutations are blind (bit flips, truncation, splices), half know the container (JPEG segments,
 * PNG chunks, GIF screen and frame extents, WebP RIFF/VP8 sizes, TIFF IFDs, ISO-BMFF boxes), because
 * blind flips mostly die at the first checksum while the decoders' interesting paths sit behind
 * plausible headers that lie about sizes.
 */
import { FORMAT_MUTATORS } from './mutate-formats.js';
import type { Rng } from './prng.js';

export { EXTREMES_16, EXTREMES_32 } from './mutate-formats.js';

/** Seed formats the fuzzer mutates (every container hashwarden decodes, HEIF aside). */
export const FUZZ_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif'] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** One mutated input and the names of the operations that made it (for the failure report). */
export interface Mutation {
  readonly bytes: Buffer;
  readonly ops: readonly string[];
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff] as const;

function splice(bytes: Buffer, at: number, remove: number, insert: Uint8Array = new Uint8Array(0)): Buffer {
  return Buffer.concat([bytes.subarray(0, at), insert, bytes.subarray(at + remove)]);
}

/** Mutations that know nothing of the format. */
const GENERIC: readonly ((b: Buffer, rng: Rng) => { bytes: Buffer; op: string })[] = [
  (b, rng) => {
    const out = Buffer.from(b);
    const flips = rng.range(1, 8);
    for (let i = 0; i < flips; i++) {
      const at = rng.int(out.length);
      out[at] = out[at]! ^ (1 << rng.int(8));
    }
    return { bytes: out, op: `bitflip×${flips}` };
  },
  (b, rng) => {
    const out = Buffer.from(b);
    const n = rng.range(1, 4);
    for (let i = 0; i < n; i++) out[rng.int(out.length)] = rng.pick(INTERESTING_BYTES);
    return { bytes: out, op: `byteset×${n}` };
  },
  (b, rng) => {
    const at = rng.range(1, Math.max(1, b.length - 1));
    return { bytes: Buffer.from(b.subarray(0, at)), op: `truncate@${at}` };
  },
  (b, rng) => {
    const from = rng.int(b.length);
    const len = rng.range(1, Math.min(512, b.length - from));
    const at = rng.int(b.length);
    return { bytes: splice(b, at, 0, b.subarray(from, from + len)), op: `dupslice ${from}+${len}@${at}` };
  },
  (b, rng) => {
    const at = rng.int(b.length);
    const len = rng.range(1, Math.min(256, b.length - at));
    return { bytes: splice(b, at, len), op: `delete ${at}+${len}` };
  },
  (b, rng) => {
    const at = rng.int(b.length);
    const len = rng.range(1, 64);
    const junk = Buffer.alloc(len);
    for (let i = 0; i < len; i++) junk[i] = rng.int(256);
    return {
      bytes: splice(b, at, rng.chance(0.5) ? 0 : Math.min(len, b.length - at), junk),
      op: `junk ${len}@${at}`,
    };
  },
];

/**
 * Applies 1–3 mutations to `seed` (never modified). Each is format-aware with probability ½ when
 * the format has a mutator that applies, blind otherwise.
 */
export function mutate(seed: Buffer, format: FuzzFormat, rng: Rng): Mutation {
  let bytes = seed;
  const ops: string[] = [];
  const count = rng.range(1, 3);
  for (let i = 0; i < count && bytes.length > 0; i++) {
    let step: { bytes: Buffer; op: string } | null = null;
    if (rng.chance(0.5)) step = rng.pick(FORMAT_MUTATORS[format])(bytes, rng);
    step ??= rng.pick(GENERIC)(bytes, rng);
    bytes = step.bytes;
    ops.push(step.op);
  }
  return { bytes, ops };
}
