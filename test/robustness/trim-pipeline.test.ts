import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { applyTransform, mulberry32, type RawImage } from '../../bench/lib/transforms.js';
import { tryHexToBytes } from '../../src/hash/codec.js';
import { hammingBytes } from '../../src/hash/distance.js';
import { hashImage } from '../../src/worker/compute.js';

function photoLike(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  const rng = mulberry32(3);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    const v = 128 + 60 * Math.sin(x / 9) * Math.cos(y / 13) + 30 * rng();
    data[3 * i] = v;
    data[3 * i + 1] = (v + x) & 255;
    data[3 * i + 2] = 255 - v;
  }
  return { width, height, channels: 3, data };
}

const distance = (a: string, b: string) => hammingBytes(tryHexToBytes(a, 32)!, tryHexToBytes(b, 32)!);

describe('hashImage with trimBorders', () => {
  const src = photoLike(240, 160);

  it('adds pdqTrimmed for a letterboxed copy, close to the original hash', async () => {
    const original = await hashImage(
      await sharp(src.data, { raw: { width: 240, height: 160, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const padded = await applyTransform(src, 'letterbox_black_25', 0);
    const r = await hashImage(padded, { trimBorders: true, pdqVariants: ['reference', 'full'] });
    expect(r.pdqTrimmed?.reference).toBeDefined();
    expect(r.pdqTrimmed?.full).toBeDefined();
    expect(distance(r.pdqTrimmed!.reference!.hex, original.pdq.reference!.hex)).toBeLessThanOrEqual(8);
  });

  it('leaves pdqTrimmed out when there is no border, or when not asked', async () => {
    const plain = await applyTransform(src, 'jpeg_q90', 0);
    expect((await hashImage(plain, { trimBorders: true })).pdqTrimmed).toBeUndefined();
    const padded = await applyTransform(src, 'pad_white_10', 0);
    expect('pdqTrimmed' in (await hashImage(padded))).toBe(false);
  });
});
