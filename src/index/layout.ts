/**
 * Multi-index hashing geometry (Norouzi, Punjani & Fleet): how a hash is cut into substrings, which
 * radius each substring table is probed at for a requested radius, and the XOR masks of a probe.
 */

/** How a `bits`-bit hash is cut into `m` contiguous substrings, one table each. */
export interface Layout {
  readonly bits: number;
  /** Number of 32-bit words a hash takes. */
  readonly words: number;
  readonly m: number;
  /** Bit offset (from the most significant bit of word 0) of each substring. */
  readonly offsets: readonly number[];
  /** Width in bits of each substring (at most 24, so one table's offsets array stays small). */
  readonly widths: readonly number[];
}

/** A layout from explicit widths (each 1..24, summing to `bits`), cut left to right. */
export function layoutFromWidths(bits: number, widths: readonly number[]): Layout {
  let at = 0;
  const offsets: number[] = [];
  for (const w of widths) {
    if (!Number.isInteger(w) || w < 1 || w > 24) throw new RangeError(`substring width ${w} is not in 1..24`);
    offsets.push(at);
    at += w;
  }
  if (at !== bits) throw new RangeError(`substring widths sum to ${at}, not ${bits}`);
  return Object.freeze({ bits, words: Math.ceil(bits / 32), m: widths.length, offsets, widths: [...widths] });
}

/** Splits `total` bits into `parts` widths that differ by at most one bit, wide ones first. */
function split(total: number, parts: number): number[] {
  const base = Math.floor(total / parts);
  const wide = total - base * parts;
  return Array.from({ length: parts }, (_, t) => (t < wide ? base + 1 : base));
}

/** Splits `bits` into `m` substrings whose widths differ by at most one bit, wide ones first. */
export function makeLayout(bits: number, m: number): Layout {
  if (m < 1 || m > bits || Math.ceil(bits / m) > 24) {
    throw new RangeError(`cannot cut ${bits} bits into ${m} substrings of at most 24 bits`);
  }
  return layoutFromWidths(bits, split(bits, m));
}

/** How chooseLayout weighs a layout. The defaults suit compact tables (ids only). */
export interface LayoutCost {
  /** Cost of probing one bucket, in candidates (default 1: both are about one cache miss). */
  readonly probeCost?: number;
  /** Prefer a layout within ~100 bytes an entry when one exists (default true). */
  readonly preferLean?: boolean;
}

/**
 * Probe weight for `fast` tables, fitted on a 1M-entry PDQ index (random hashes, r = 31): a probe there
 * costs ~90–160 ns (the offset's and the bucket's cache misses), a candidate ~8 ns (96-bit popcount).
 */
export const FAST_PROBE_COST = 7;
export const FAST_LAYOUT_COST: LayoutCost = Object.freeze({ probeCost: FAST_PROBE_COST, preferLean: false });

/**
 * The layout with the least expected work for `n` hashes searched at radius `r`, with `m` tables or the
 * best m. Work is Σ over tables of probes × (1 + mean bucket size): every probe and every candidate
 * costs about one cache miss. Tables probed at the larger radius (the first a+1, see probeRadii) get
 * the wider substrings, because a wider table's buckets shrink faster than its masks grow; at 10M PDQ
 * and r = 31 that is 8×22 + 4×20 bits, ~40 % fewer candidates than 12 even substrings. Offsets arrays
 * (4·2^width bytes a table) are held to ~16 bytes an entry, which keeps 10M PDQ under 100 bytes.
 *
 * `fast` tables (see LayoutCost) hold each entry's prefilter words in the bucket, so a candidate costs
 * a few ALU operations on a cache line already fetched, and a probe is the dearer part: there a probe
 * weighs FAST_PROBE_COST candidates, and the 100-byte preference is dropped (those tables take ~290
 * bytes an entry anyway). At 1M PDQ that picks 16 × 16 bits (272 probes, ~4,150 candidates) over the
 * compact choice 2×20 + 8×17 + 5×16 (651 probes, ~2,800 candidates): about 1.2× the queries a second.
 */
export function chooseLayout(bits: number, n: number, r: number, m?: number, cost: LayoutCost = {}): Layout {
  const probeCost = cost.probeCost ?? 1;
  const preferLean = cost.preferLean ?? true;
  const budget = 16 * Math.max(n, 65_536);
  // Prefer layouts within 100 bytes an entry in all (hash words, id, tables, offsets, bitsets).
  const fixed = Math.ceil(bits / 32) * 4 + 4 + 0.25;
  let best: number[] | null = null;
  let bestCost = Number.POSITIVE_INFINITY;
  let lean: number[] | null = null;
  let leanCost = Number.POSITIVE_INFINITY;
  const ms = m === undefined ? range(Math.ceil(bits / 24), Math.min(bits, 64)) : [m];
  for (const mm of ms) {
    const radii = probeRadii(mm, r);
    const high = r - mm * Math.floor(r / mm) + 1;
    const low = mm - high;
    for (let hBits = high; hBits <= Math.min(24 * high, bits); hBits++) {
      const lBits = bits - hBits;
      if (low === 0 ? lBits !== 0 : lBits < low || lBits > 24 * low) continue;
      const widths = [...split(hBits, high), ...(low > 0 ? split(lBits, low) : [])];
      let offsetBytes = 0;
      let cost = 0;
      for (let t = 0; t < mm; t++) {
        const w = widths[t]!;
        offsetBytes += 4 * 2 ** w;
        cost += maskCount(w, radii[t]!) * (probeCost + n / 2 ** w);
      }
      if (offsetBytes > budget) continue;
      if (cost < bestCost) {
        bestCost = cost;
        best = widths;
      }
      if (preferLean && cost < leanCost && fixed + 4 * mm + offsetBytes / Math.max(n, 1) <= 100) {
        leanCost = cost;
        lean = widths;
      }
    }
  }
  const widths = lean ?? best;
  return widths === null ? makeLayout(bits, m ?? Math.ceil(bits / 16)) : layoutFromWidths(bits, widths);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Number of `width`-bit masks with at most `radius` bits set (0 for a negative radius). */
export function maskCount(width: number, radius: number): number {
  let total = 0;
  for (let k = 0, c = 1; k <= Math.min(radius, width); k++) {
    total += c;
    c = (c * (width - k)) / (k + 1);
  }
  return total;
}

/** Reads the `width`-bit substring at bit `offset` of the hash stored at `words[base…]`. */
export function substring(words: Uint32Array, base: number, offset: number, width: number): number {
  const wi = base + (offset >>> 5);
  const bi = offset & 31;
  let v = (words[wi]! << bi) >>> 0;
  // bi + width > 32 implies bi > 0, so the shift below is never the no-op shift by 32.
  if (bi + width > 32) v = (v | (words[wi + 1]! >>> (32 - bi))) >>> 0;
  return v >>> (32 - width);
}

/**
 * Probe radius of each table for search radius `r`. With r = m·s + a (0 ≤ a < m), a hash within r of the
 * query has a substring among the first a+1 within s bits, or one among the rest within s−1 bits:
 * otherwise its distance is at least (a+1)(s+1) + (m−a−1)s = r + 1. A radius of −1 skips the table.
 */
export function probeRadii(m: number, r: number): Int32Array {
  const s = Math.floor(r / m);
  const a = r - m * s;
  const out = new Int32Array(m);
  for (let t = 0; t < m; t++) out[t] = t <= a ? s : s - 1;
  return out;
}

const maskCache = new Map<number, Uint32Array>();

/** Every `width`-bit XOR mask with at most `radius` bits set, fewest bits first (cached). */
export function probeMasks(width: number, radius: number): Uint32Array {
  const key = width * 64 + radius;
  const hit = maskCache.get(key);
  if (hit !== undefined) return hit;
  const r = Math.min(radius, width);
  const out = new Uint32Array(maskCount(width, r));
  let n = 0;
  // Enumerates k-subsets of bit positions by recursion on the lowest chosen bit.
  const rec = (mask: number, from: number, left: number): void => {
    if (left === 0) {
      out[n++] = mask >>> 0;
      return;
    }
    for (let b = from; b <= width - left; b++) rec(mask | (1 << b), b + 1, left - 1);
  };
  for (let k = 0; k <= r; k++) rec(0, 0, k);
  maskCache.set(key, out);
  return out;
}

/** Number of probes a search at `r` makes over all tables (for choosing MIH or a scan). */
export function probeCount(layout: Layout, r: number): number {
  const radii = probeRadii(layout.m, r);
  let total = 0;
  for (let t = 0; t < layout.m; t++) total += maskCount(layout.widths[t]!, radii[t]!);
  return total;
}

/** Hash words copied into each entry of a prefiltered ("fast") table: 3 (96 bits), or the whole hash. */
export const PREFILTER_WORDS = 3;

/**
 * The words of the hash that table `t`'s prefiltered entries carry: those that share no bit with the
 * table's own substring (whose bits are nearly equal in every candidate the table yields, and so reject
 * nothing), taken round from the word after it; the whole hash, in order, when it has 3 words or fewer.
 */
export function prefilterWords(layout: Layout, t: number): Uint8Array {
  const W = layout.words;
  if (W <= PREFILTER_WORDS) return Uint8Array.from({ length: W }, (_, i) => i);
  const first = layout.offsets[t]! >>> 5;
  const last = (layout.offsets[t]! + layout.widths[t]! - 1) >>> 5;
  const out: number[] = [];
  for (let k = 1; k <= W && out.length < PREFILTER_WORDS; k++) {
    const w = (last + k) % W;
    if (w < first || w > last) out.push(w);
  }
  for (let w = 0; out.length < PREFILTER_WORDS; w++) if (!out.includes(w)) out.push(w);
  return Uint8Array.from(out);
}
