import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  decodeForTransforms,
  mulberry32,
  type RawImage,
  seedFrom,
  TRANSFORMS,
} from '../../bench/lib/transforms.js';

/** A small seeded test image with structure and colour. */
function sample(width = 96, height = 64): RawImage {
  const data = new Uint8Array(width * height * 3);
  const rng = mulberry32(42);
  for (let i = 0; i < width * height; i++) {
    const x = i % width;
    const y = Math.floor(i / width);
    data[3 * i] = (x * 255) / width;
    data[3 * i + 1] = (y * 255) / height;
    data[3 * i + 2] = x > width / 3 && y > height / 3 ? 220 : Math.floor(rng() * 80);
  }
  return { width, height, channels: 3, data };
}

const ENCODED_AS: Record<string, string> = { webp_q75: 'webp', thumbnail_100: 'jpeg' };

describe('robustness transforms', () => {
  const src = sample();

  it('has unique names', () => {
    expect(new Set(TRANSFORMS.map((t) => t.name)).size).toBe(TRANSFORMS.length);
  });

  for (const t of TRANSFORMS) {
    it(`${t.name}: a valid image of the expected size and shape, the same bytes every time`, async () => {
      const a = await applyTransform(src, t, 7);
      const b = await applyTransform(src, t, 7);
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
      const meta = await sharp(a).metadata();
      const want = t.size(src.width, src.height);
      expect({ width: meta.width, height: meta.height }).toEqual(want);
      expect(meta.format).toBe(ENCODED_AS[t.name] ?? (t.name.startsWith('jpeg') ? 'jpeg' : 'png'));
      expect(meta.channels).toBe(t.name === 'greyscale' ? 1 : 3);
      // Decodes fully (not just the header).
      const raw = await sharp(a).raw().toBuffer({ resolveWithObject: true });
      expect(raw.info.width * raw.info.height).toBe(want.width * want.height);
    });
  }

  it('seeds the noise: same seed same bytes, other seed other bytes', async () => {
    const a = await applyTransform(src, 'noise', 1);
    const b = await applyTransform(src, 'noise', 1);
    const c = await applyTransform(src, 'noise', 2);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('takes encoded bytes as well as decoded pixels', async () => {
    const png = await sharp(src.data, { raw: { width: src.width, height: src.height, channels: 3 } })
      .png()
      .toBuffer();
    const decoded = await decodeForTransforms(png);
    expect(decoded.data).toEqual(src.data);
    const fromBytes = await applyTransform(new Uint8Array(png), 'rot90', 0);
    const fromPixels = await applyTransform(src, 'rot90', 0);
    expect(Buffer.from(fromBytes).equals(Buffer.from(fromPixels))).toBe(true);
  });

  it('rejects an unknown transform name', async () => {
    await expect(applyTransform(src, 'nope', 0)).rejects.toThrow(/unknown transform/);
  });

  it('has a deterministic PRNG and seed derivation', () => {
    const r1 = mulberry32(seedFrom('a.jpg|noise'));
    const r2 = mulberry32(seedFrom('a.jpg|noise'));
    const xs = Array.from({ length: 5 }, () => r1());
    expect(Array.from({ length: 5 }, () => r2())).toEqual(xs);
    for (const x of xs) expect(x >= 0 && x < 1).toBe(true);
    expect(seedFrom('a')).not.toBe(seedFrom('b'));
  });
});
