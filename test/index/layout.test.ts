import { describe, expect, it } from 'vitest';
import { popcount32 } from '../../src/hash/distance.js';
import {
  chooseLayout,
  makeLayout,
  maskCount,
  probeMasks,
  probeRadii,
  substring,
} from '../../src/index/layout.js';
import { mulberry32 } from './helpers.js';

describe('MIH layout', () => {
  it('probe radii satisfy the pigeonhole bound for every m and radius', () => {
    // A hash is missed only if every table t sees more than radii[t] differing bits, i.e. at least
    // Σ(radii[t] + 1) bits in all; that must exceed r, and by no more than needed.
    for (let m = 1; m <= 32; m++) {
      for (let r = 0; r <= 64; r++) {
        const radii = probeRadii(m, r);
        let sum = 0;
        for (const x of radii) sum += x + 1;
        expect(sum).toBe(r + 1);
      }
    }
  });

  it('cuts the bits into contiguous substrings, wide ones first', () => {
    const l = makeLayout(256, 12);
    expect(l.widths.reduce((a, b) => a + b, 0)).toBe(256);
    expect(l.widths).toEqual([22, 22, 22, 22, 21, 21, 21, 21, 21, 21, 21, 21]);
    expect(l.offsets[11]).toBe(256 - 21);
    expect(() => makeLayout(256, 10)).toThrow(RangeError);
  });

  it('reads substrings across word boundaries', () => {
    const rnd = mulberry32(11);
    const words = Uint32Array.from({ length: 8 }, () => rnd());
    const bits = Array.from(words, (w) => w.toString(2).padStart(32, '0')).join('');
    for (const [off, w] of [
      [0, 16],
      [21, 21],
      [27, 11],
      [234, 22],
      [250, 6],
      [31, 2],
    ] as const) {
      expect(substring(words, 0, off, w)).toBe(Number.parseInt(bits.slice(off, off + w), 2));
    }
  });

  it('enumerates every mask of at most r bits once', () => {
    const masks = probeMasks(10, 3);
    expect(masks.length).toBe(maskCount(10, 3));
    expect(new Set(masks).size).toBe(masks.length);
    for (const x of masks) expect(popcount32(x)).toBeLessThanOrEqual(3);
    expect(masks[0]).toBe(0);
  });

  it('gives the wider substrings to the tables probed at the larger radius, within 100 B an entry', () => {
    const pdq = chooseLayout(256, 10_000_000, 31);
    expect(pdq.widths).toEqual([22, 22, 22, 22, 22, 22, 22, 22, 20, 20, 20, 20]);
    let offsets = 0;
    for (const w of pdq.widths) offsets += 4 * 2 ** w;
    expect(32 + 4 + 4 * pdq.m + offsets / 10_000_000).toBeLessThanOrEqual(100);
    expect(chooseLayout(64, 10_000_000, 10).widths).toEqual([22, 22, 20]);
    expect(chooseLayout(256, 5000, 31, 16).m).toBe(16);
  });
});
