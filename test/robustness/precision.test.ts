import { describe, expect, it } from 'vitest';
import {
  cumulative,
  fprAt,
  histogram,
  minDistance,
  operatingCurve,
  recallAt,
  thresholdAtFpr,
  thresholdAtPrecision,
} from '../../bench/lib/precision.js';

describe('precision arithmetic', () => {
  it('counts distances and their running sums', () => {
    const h = histogram([0, 2, 2, 5], 6);
    expect(Array.from(h)).toEqual([1, 0, 2, 0, 0, 1, 0]);
    expect(Array.from(cumulative(h))).toEqual([1, 1, 3, 3, 3, 4, 4]);
    expect(() => histogram([7], 6)).toThrow(RangeError);
    expect(() => histogram([1.5], 6)).toThrow(RangeError);
  });

  // Four queries: positives at 0, 1, 2, 5; closest unrelated entries at 3, 4, 10, 10.
  const pos = [0, 1, 2, 5];
  const neg = [3, 4, 10, 10];

  it('computes TP, FP, precision and recall at every threshold', () => {
    const c = operatingCurve(pos, neg, 10);
    expect(c[2]).toEqual({ threshold: 2, tp: 3, fp: 0, precision: 1, recall: 0.75 });
    expect(c[3]).toEqual({ threshold: 3, tp: 3, fp: 1, precision: 0.75, recall: 0.75 });
    expect(c[5]).toMatchObject({ tp: 4, fp: 2, recall: 1 });
    expect(c[5]!.precision).toBeCloseTo(4 / 6, 12);
  });

  it('finds the largest threshold whose precision holds at every threshold up to it', () => {
    expect(thresholdAtPrecision(pos, neg, 10, 0.9999)).toMatchObject({ threshold: 2, recall: 0.75 });
    // At 70 %: t = 3 holds (75 %), t = 4 fails (3 / 5 = 60 %), so 3 — even though t = 5 is back at 67 %.
    expect(thresholdAtPrecision(pos, neg, 10, 0.7)).toMatchObject({ threshold: 3, recall: 0.75 });
  });

  it('treats a threshold where nothing matches as precise, and stops before the first unrelated hit', () => {
    expect(thresholdAtPrecision([5, 6], [9, 20], 32, 0.9999)).toMatchObject({ threshold: 8, recall: 1 });
  });

  it('reports -1 and zero recall when an unrelated entry is at distance 0', () => {
    expect(thresholdAtPrecision([3], [0], 8, 0.9999)).toEqual({
      threshold: -1,
      tp: 0,
      fp: 0,
      precision: 1,
      recall: 0,
    });
  });

  it('matches counts at a precision that tolerates one false match in 10,000', () => {
    // 10,000 positives at 1, one negative at 1: precision 10000/10001 ≥ 99.99 %.
    const many = new Array<number>(10_000).fill(1);
    expect(thresholdAtPrecision(many, [1, 50], 64, 0.9999)).toMatchObject({ threshold: 49, recall: 1 });
    // 9,998 positives: 9998/9999 < 99.99 %, so the threshold falls to 0.
    expect(thresholdAtPrecision(many.slice(2), [1, 50], 64, 0.9999)).toMatchObject({
      threshold: 0,
      recall: 0,
    });
  });

  it('computes recall and the pair-level false-positive rate', () => {
    expect(recallAt(pos, 1)).toBe(0.5);
    const negHist = histogram([3, 4, 10, 10, 12, 12, 12, 12, 12, 12], 16);
    expect(fprAt(negHist, 4)).toBeCloseTo(0.2, 12);
    expect(fprAt(negHist, 2)).toBe(0);
    expect(thresholdAtFpr(negHist, 0)).toBe(2);
    expect(thresholdAtFpr(negHist, 0.1)).toBe(3);
    expect(thresholdAtFpr(negHist, 0.4)).toBe(11);
    expect(minDistance(negHist)).toBe(3);
    expect(minDistance(new Float64Array(4))).toBe(-1);
  });
});
