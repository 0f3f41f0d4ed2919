import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { computePdq } from '../hash/pdq.js';
import { computePhash } from '../hash/phash.js';
import type { PdqVariant } from '../hash/types.js';
import { decodeImage } from '../image/decode.js';
import { trimBorders } from '../image/trim.js';
import type { Pixels } from '../image/types.js';
import { FAST_DECODE_MIN_SIDE, type HashOptions, type HashResult, type PdqHash } from './protocol.js';

function digest(algorithm: 'md5' | 'sha1' | 'sha256', bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/** Every asked-for PDQ variant of one image (the decoded one, or its border-trimmed crop). */
function pdqAll(
  pixels: Pixels,
  variants: readonly PdqVariant[],
  dihedral: boolean,
): Partial<Record<PdqVariant, PdqHash>> {
  const pdq: Partial<Record<PdqVariant, PdqHash>> = {};
  for (const variant of variants) {
    const r = computePdq(pixels, { variant, dihedral });
    pdq[variant] = r.dihedral
      ? { hex: r.hex, quality: r.quality, dihedral: r.dihedral }
      : { hex: r.hex, quality: r.quality };
  }
  return pdq;
}

/**
 * Decodes once and computes every hash. Runs inside a worker thread in production, and directly in
 * tests and benchmarks (the single-core baseline).
 */
export async function hashImage(bytes: Uint8Array, options: HashOptions = {}): Promise<HashResult> {
  const variants: readonly PdqVariant[] = options.pdqVariants?.length ? options.pdqVariants : ['reference'];
  const fast = options.fastDecode === true && variants.length === 1 && variants[0] === 'full';
  const t0 = performance.now();
  let digests: { md5: string; sha1: string; sha256: string } | undefined;
  const image = await decodeImage(bytes, {
    ...(options.limits ? { limits: options.limits } : {}),
    shrinkOnLoadMinSide: fast ? FAST_DECODE_MIN_SIDE : 0,
    // The exact digests (about 2 ms for a 3 MP JPEG) are computed while libvips decodes.
    whileDecoding: () => {
      digests = { md5: digest('md5', bytes), sha1: digest('sha1', bytes), sha256: digest('sha256', bytes) };
    },
  });
  digests ??= { md5: digest('md5', bytes), sha1: digest('sha1', bytes), sha256: digest('sha256', bytes) };
  const t1 = performance.now();
  const pdq = pdqAll(image, variants, options.dihedral === true);
  const trimmed = options.trimBorders === true ? trimBorders(image) : null;
  const phash = computePhash(image).hex;
  const result: HashResult = {
    format: image.format,
    width: image.sourceWidth,
    height: image.sourceHeight,
    pdq,
    ...(trimmed ? { pdqTrimmed: pdqAll(trimmed.pixels, variants, options.dihedral === true) } : {}),
    phash,
    ...digests,
    fastDecode: image.shrink > 1,
    timings: { decodeMs: t1 - t0, hashMs: performance.now() - t1 },
  };
  return result;
}
