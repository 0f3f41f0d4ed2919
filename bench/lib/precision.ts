/**
 * The precision/recall arithmetic of the robustness benchmark. Pure: distances in, counts and rates out.
 *
 * Per hasher and transform there are Q queries (the transformed copies of the originals). Query i has
 * - a positive distance `pos[i]`: to its own original in the list;
 * - a negative distance `neg[i]`: to the closest unrelated entry of the list (every other original and
 *   every distractor).
 * At a threshold t (a match is `distance <= t`):
 *   TP(t) = #{ i : pos[i] <= t },  FP(t) = #{ i : neg[i] <= t },
 *   precision(t) = TP / (TP + FP)  (taken as 1 when TP + FP = 0: nothing matched, nothing wrong),
 *   recall(t) = TP / Q.
 * Each query thus counts once on each side, which is how Thorn's `perception` benchmark scales its
 * counts (one "closest correct" and one "closest incorrect" distance per transformed image), so the
 * figures are comparable with its published table. The threshold at precision p is the largest t such
 * that precision(s) >= p for every s <= t; recall is reported there.
 *
 * Separately, the pair-level false-positive rate is FPR(t) = #{ unrelated pairs with d <= t } / #pairs,
 * from every (query, list entry) pair of unrelated images: what a single comparison risks.
 */

/** Counts per distance: `out[d]` = how many of `distances` equal d, for d = 0..maxDistance. */
export function histogram(distances: ArrayLike<number>, maxDistance: number): Float64Array {
  const out = new Float64Array(maxDistance + 1);
  for (let i = 0; i < distances.length; i++) {
    const d = distances[i]!;
    if (!Number.isInteger(d) || d < 0 || d > maxDistance) throw new RangeError(`distance ${d} out of range`);
    out[d]! += 1;
  }
  return out;
}

/** Running sums of a histogram: `out[t]` = how many are at distance <= t. */
export function cumulative(hist: ArrayLike<number>): Float64Array {
  const out = new Float64Array(hist.length);
  let acc = 0;
  for (let i = 0; i < hist.length; i++) {
    acc += hist[i]!;
    out[i] = acc;
  }
  return out;
}

/** Counts and rates at one threshold. */
export interface OperatingPoint {
  /** Inclusive threshold; -1 when even distance 0 fails the precision target. */
  readonly threshold: number;
  readonly tp: number;
  readonly fp: number;
  /** TP / (TP + FP), or 1 when nothing matched. */
  readonly precision: number;
  /** TP / Q. */
  readonly recall: number;
}

/** TP, FP, precision and recall at every threshold 0..maxDistance. */
export function operatingCurve(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  maxDistance: number,
): OperatingPoint[] {
  if (pos.length === 0) throw new RangeError('no positives');
  const tp = cumulative(histogram(pos, maxDistance));
  const fp = cumulative(histogram(neg, maxDistance));
  const out: OperatingPoint[] = [];
  for (let t = 0; t <= maxDistance; t++) {
    const a = tp[t]!;
    const b = fp[t]!;
    out.push({
      threshold: t,
      tp: a,
      fp: b,
      precision: a + b === 0 ? 1 : a / (a + b),
      recall: a / pos.length,
    });
  }
  return out;
}

/**
 * The largest threshold at which precision stays >= `minPrecision` (a fraction, e.g. 0.9999) at every
 * threshold up to it, and the counts there. When distance 0 already fails, threshold is -1, recall 0.
 */
export function thresholdAtPrecision(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  maxDistance: number,
  minPrecision: number,
): OperatingPoint {
  const curve = operatingCurve(pos, neg, maxDistance);
  let best: OperatingPoint = { threshold: -1, tp: 0, fp: 0, precision: 1, recall: 0 };
  for (const p of curve) {
    if (p.precision < minPrecision) break;
    best = p;
  }
  return best;
}

/** Recall at `threshold`: the fraction of `pos` at or below it. */
export function recallAt(pos: ArrayLike<number>, threshold: number): number {
  if (pos.length === 0) return Number.NaN;
  let n = 0;
  for (let i = 0; i < pos.length; i++) if (pos[i]! <= threshold) n++;
  return n / pos.length;
}

/** Pair-level false-positive rate at `threshold` from a histogram of unrelated-pair distances. */
export function fprAt(negHist: ArrayLike<number>, threshold: number): number {
  let total = 0;
  let below = 0;
  for (let d = 0; d < negHist.length; d++) {
    total += negHist[d]!;
    if (d <= threshold) below += negHist[d]!;
  }
  return total === 0 ? Number.NaN : below / total;
}

/**
 * The largest threshold whose pair-level FPR is at most `maxFpr` (−1 when even 0 exceeds it), from a
 * histogram of unrelated-pair distances.
 */
export function thresholdAtFpr(negHist: ArrayLike<number>, maxFpr: number): number {
  const cum = cumulative(negHist);
  const total = cum[cum.length - 1] ?? 0;
  let t = -1;
  for (let d = 0; d < cum.length; d++) {
    if (cum[d]! > maxFpr * total) break;
    t = d;
  }
  return t;
}

/** Smallest distance with a non-zero count (the closest unrelated pair), or −1 for an empty histogram. */
export function minDistance(hist: ArrayLike<number>): number {
  for (let d = 0; d < hist.length; d++) if (hist[d]! > 0) return d;
  return -1;
}
