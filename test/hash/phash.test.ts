import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computePhash, pillowResizeLanczos, toPillowGrey } from '../../src/hash/phash.js';
import { decodeImage } from '../../src/image/decode.js';
import type { Pixels } from '../../src/image/types.js';
import { noise } from '../helpers/noise.js';

const ROOT = join(import.meta.dirname, '..', '..', 'fixtures');

/** Rows of fixtures/phash-vectors/expected.csv: imagehash.phash on Pillow 9.4 / SciPy 1.10. */
function vectors(): { file: string; hex: string }[] {
  const text = readFileSync(join(ROOT, 'phash-vectors', 'expected.csv'), 'utf8');
  return text
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [file = '', hex = ''] = line.trim().split(',');
      return { file, hex };
    });
}

function hamming(a: string, b: string): number {
  let x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
  let n = 0;
  while (x > 0n) {
    n += Number(x & 1n);
    x >>= 1n;
  }
  return n;
}

const grey = (width: number, height: number, data: Uint8Array): Pixels => ({
  width,
  height,
  channels: 1,
  data,
});

describe('pHash golden vectors (imagehash.phash, Pillow 9.4)', () => {
  const rows = vectors();

  it('has the vectors', () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  for (const { file, hex } of rows) {
    it(`${file} hashes to ${hex}`, async () => {
      const image = await decodeImage(readFileSync(join(ROOT, 'pdq-vectors', file)));
      const got = computePhash(image);
      const distance = hamming(got.hex, hex);
      console.log(`phash ${file}: got ${got.hex} expected ${hex} distance ${distance}`);
      expect(distance).toBe(0);
      expect(got.hash).toHaveLength(8);
    });
  }
});

describe('toPillowGrey', () => {
  it('uses the fixed-point ITU-R 601-2 luma of convert("L")', () => {
    // Values checked against Pillow 9.4: Image.new('RGB', (1, 1), rgb).convert('L').
    const rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 128, 128, 128, 12, 200, 77, 1, 2, 3];
    const out = toPillowGrey({ width: 7, height: 1, channels: 3, data: Uint8Array.from(rgb) });
    expect([...out]).toEqual([76, 150, 29, 255, 128, 130, 2]);
  });

  it('passes grey through unchanged', () => {
    const data = Uint8Array.from([0, 9, 255]);
    expect(toPillowGrey(grey(3, 1, data))).toBe(data);
  });

  it('rejects pixel data of the wrong length', () => {
    expect(() => toPillowGrey(grey(2, 2, new Uint8Array(3)))).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_REQUEST' }),
    );
  });
});

describe('pillowResizeLanczos', () => {
  it('averages two samples into one with round-half-up fixed point', () => {
    // By hand: both weights are 0.5 (2^21 in fixed point); (2^21 + 255·2^21) >> 22 = 128.
    expect([...pillowResizeLanczos(Uint8Array.from([0, 255]), 2, 1, 1, 1)]).toEqual([128]);
  });

  it('keeps a constant image constant, shrinking and enlarging', () => {
    for (const [w, h, ow, oh] of [
      [300, 200, 32, 32],
      [1, 1, 32, 32],
      [5, 7, 32, 32],
      [32, 100, 32, 32],
    ] as const) {
      const out = pillowResizeLanczos(new Uint8Array(w * h).fill(173), w, h, ow, oh);
      expect(out).toHaveLength(ow * oh);
      expect(out.every((v) => v === 173)).toBe(true);
    }
  });

  it('matches Pillow 9.4 on a small gradient, down and up', () => {
    const src = Uint8Array.from({ length: 48 }, (_, i) => ((i % 8) * 37 + Math.floor(i / 8) * 11) % 256);
    // Image.fromarray(src, 'L').resize(size, Image.LANCZOS) with Pillow 9.4.0.
    expect([...pillowResizeLanczos(src, 8, 6, 3, 4)]).toEqual([
      30, 146, 144, 46, 162, 169, 63, 177, 145, 80, 190, 84,
    ]);
    expect([...pillowResizeLanczos(src, 8, 6, 8, 3)]).toEqual([
      5, 42, 79, 116, 153, 190, 232, 8, 28, 65, 102, 139, 176, 213, 232, 31, 50, 87, 124, 161, 198, 235, 29,
      53,
    ]);
    const up = pillowResizeLanczos(src, 8, 6, 11, 9);
    expect([...up.subarray(0, 22)]).toEqual([
      0, 17, 50, 74, 102, 129, 153, 180, 245, 127, 0, 3, 22, 55, 79, 107, 134, 158, 185, 250, 132, 0,
    ]);
    expect([...up.subarray(88)]).toEqual([54, 74, 107, 131, 159, 179, 225, 245, 88, 19, 66]);
  });

  it('returns a copy when the size does not change', () => {
    const src = noise(12, 1);
    const out = pillowResizeLanczos(src, 4, 3, 4, 3);
    expect(out).toEqual(src);
    expect(out).not.toBe(src);
  });

  it('gives the same bytes from the SIMD and the scalar horizontal pass', () => {
    for (const [w, h, ow, oh, seed] of [
      [2000, 300, 32, 32, 1],
      [997, 13, 32, 32, 2],
      [13, 997, 32, 32, 3],
      [5000, 2, 7, 3, 4],
      [3, 3, 32, 32, 5],
      [640, 480, 100, 75, 6],
    ] as const) {
      const src = noise(w * h, seed);
      expect(pillowResizeLanczos(src, w, h, ow, oh)).toEqual(
        pillowResizeLanczos(src, w, h, ow, oh, 'scalar'),
      );
    }
  });

  it('rejects empty sizes', () => {
    expect(() => pillowResizeLanczos(new Uint8Array(0), 0, 0, 32, 32)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_REQUEST' }),
    );
  });
});

describe('computePhash on degenerate input', () => {
  it('hashes a flat image to the DC bit alone', () => {
    expect(computePhash(grey(300, 300, new Uint8Array(90_000).fill(3))).hex).toBe('8000000000000000');
    expect(computePhash(grey(1, 1, Uint8Array.from([200]))).hex).toBe('8000000000000000');
  });

  it('hashes strips and tiny images without throwing', () => {
    for (const [w, h] of [
      [1, 1000],
      [1000, 1],
      [4, 4],
      [2, 3],
    ] as const) {
      const { hash, hex } = computePhash({ width: w, height: h, channels: 3, data: noise(w * h * 3, w + h) });
      expect(hash).toHaveLength(8);
      expect(hex).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('hashes the 4x4 vector image (not in expected.csv) without throwing', async () => {
    const image = await decodeImage(readFileSync(join(ROOT, 'pdq-vectors', 'synth-tiny-4x4.png')));
    expect(computePhash(image).hex).toMatch(/^[0-9a-f]{16}$/);
  });
});
