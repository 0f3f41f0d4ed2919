import type { Layout } from './layout.js';
import { substring } from './layout.js';
import { MihBase } from './mih-base.js';

/** Hot-bucket threshold: at least this many entries… */
const HOT_BUCKET_MIN = 64;
/** …and this many times the mean bucket size of table 0. */
const HOT_BUCKET_FACTOR = 16;

/**
 * Builds a MihBase from `words` (n·W) and `ids` (n, strictly increasing: the storage is in id order)
 * with radix sorts only: O(n·m), no comparisons. Each table is an LSD radix sort of (substring,
 * position) pairs in passes of at most 11 bits, then one sequential pass for the bucket starts: a
 * counting sort straight into 2^21 buckets measured several times slower at 10M, every write a cache
 * and TLB miss. A generator, so that a background compaction can run it in slices of about `slice`
 * entries and yield between them; `buildBase` drains it in one go. Throws RangeError when ids are not
 * strictly increasing.
 */
export function* buildSteps(
  layout: Layout,
  words: Uint32Array,
  ids: Uint32Array,
  slice: number,
): Generator<void, MihBase, void> {
  const n = ids.length;
  for (let k = 1; k < n; k++) {
    if (ids[k]! <= ids[k - 1]!) throw new RangeError(`ids must be distinct and increasing (at ${k})`);
  }
  const { m, words: W, offsets: bitOff, widths } = layout;
  const scratch = new Scratch(n);
  const skip = new Uint32Array((n + 31) >>> 5);
  const leader = new Uint32Array((n + 31) >>> 5);
  const groups = new Map<number, Uint32Array>();

  // Table 0 first, to find over-full buckets: a bucket this much over the mean is "hot", and its exact
  // duplicates are grouped so a value held by thousands of entries is verified once per search.
  let t0 = yield* sortTable(words, W, n, bitOff[0]!, widths[0]!, null, scratch, slice);
  const cap = Math.max(HOT_BUCKET_MIN, HOT_BUCKET_FACTOR * (n / 2 ** widths[0]!));
  for (let b = 0; b + 1 < t0.off.length; b++) {
    if (t0.off[b + 1]! - t0.off[b]! > cap) {
      groupDuplicates(words, W, t0.order.subarray(t0.off[b]!, t0.off[b + 1]!), skip, leader, groups);
      yield;
    }
  }
  if (groups.size > 0) t0 = yield* sortTable(words, W, n, bitOff[0]!, widths[0]!, skip, scratch, slice);
  const offsets: Uint32Array[] = [t0.off];
  const tables: Uint32Array[] = [t0.order];
  for (let t = 1; t < m; t++) {
    const tt = yield* sortTable(words, W, n, bitOff[t]!, widths[t]!, skip, scratch, slice);
    offsets.push(tt.off);
    tables.push(tt.order);
  }
  return new MihBase(layout, words, ids, offsets, tables, leader, groups);
}

/** Runs `buildSteps` to the end synchronously. */
export function buildBase(layout: Layout, words: Uint32Array, ids: Uint32Array): MihBase {
  const it = buildSteps(layout, words, ids, 1 << 30);
  for (;;) {
    const step = it.next();
    if (step.done === true) return step.value;
  }
}

/** Work arrays shared by every table's sort: keys and positions, twice (ping-pong). */
class Scratch {
  readonly k1: Uint32Array;
  readonly p1: Uint32Array;
  readonly k2: Uint32Array;
  readonly p2: Uint32Array;
  constructor(n: number) {
    this.k1 = new Uint32Array(n);
    this.p1 = new Uint32Array(n);
    this.k2 = new Uint32Array(n);
    this.p2 = new Uint32Array(n);
  }
}

/**
 * Positions 0..n−1 (less those marked in `skip`) ordered stably by their `width`-bit substring at
 * `offset`, and the bucket starts (2^width + 1).
 */
function* sortTable(
  words: Uint32Array,
  W: number,
  n: number,
  offset: number,
  width: number,
  skip: Uint32Array | null,
  s: Scratch,
  slice: number,
): Generator<void, { off: Uint32Array; order: Uint32Array }, void> {
  let u = 0;
  for (let from = 0; from < n; from += slice) {
    u = extractKeys(words, W, offset, width, skip, s.k1, s.p1, u, from, Math.min(n, from + slice));
    yield;
  }
  const lowBits = width >>> 1;
  yield* radixPass(s.k1, s.p1, s.k2, s.p2, u, 0, lowBits, slice);
  const order = new Uint32Array(u);
  yield* radixPass(s.k2, s.p2, s.k1, order, u, lowBits, width - lowBits, slice);
  const off = new Uint32Array((1 << width) + 1);
  bucketStarts(s.k1, u, off);
  return { off, order };
}

function extractKeys(
  words: Uint32Array,
  W: number,
  offset: number,
  width: number,
  skip: Uint32Array | null,
  keys: Uint32Array,
  pos: Uint32Array,
  u: number,
  from: number,
  to: number,
): number {
  for (let p = from, o = from * W; p < to; p++, o += W) {
    if (skip !== null && (skip[p >>> 5]! & (1 << (p & 31))) !== 0) continue;
    keys[u] = substring(words, o, offset, width);
    pos[u++] = p;
  }
  return u;
}

/** One stable LSD pass on the `bits`-bit digit at `shift` of keys: (ks, ps) → (kd, pd). */
function* radixPass(
  ks: Uint32Array,
  ps: Uint32Array,
  kd: Uint32Array,
  pd: Uint32Array,
  u: number,
  shift: number,
  bits: number,
  slice: number,
): Generator<void, void, void> {
  const mask = (1 << bits) - 1;
  const cursor = digitStarts(ks, u, shift, mask);
  yield;
  for (let from = 0; from < u; from += slice) {
    scatter(ks, ps, kd, pd, cursor, shift, mask, from, Math.min(u, from + slice));
    yield;
  }
}

/** Start of each digit's run in the output of a pass (hot loops live in plain functions, not generators). */
function digitStarts(ks: Uint32Array, u: number, shift: number, mask: number): Uint32Array {
  const cursor = new Uint32Array(mask + 2);
  for (let i = 0; i < u; i++) cursor[((ks[i]! >>> shift) & mask) + 1]!++;
  for (let b = 1; b < cursor.length; b++) cursor[b]! += cursor[b - 1]!;
  return cursor;
}

function scatter(
  ks: Uint32Array,
  ps: Uint32Array,
  kd: Uint32Array,
  pd: Uint32Array,
  cursor: Uint32Array,
  shift: number,
  mask: number,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const k = ks[i]!;
    const j = cursor[(k >>> shift) & mask]!++;
    kd[j] = k;
    pd[j] = ps[i]!;
  }
}

/** Bucket starts from sorted keys, in one sequential pass. */
function bucketStarts(sortedKeys: Uint32Array, u: number, off: Uint32Array): void {
  let b = 0;
  for (let i = 0; i < u; i++) {
    const k = sortedKeys[i]!;
    while (b <= k) off[b++] = i;
  }
  while (b < off.length) off[b++] = u;
}

function gather(
  words: Uint32Array,
  ids: Uint32Array,
  order: Uint32Array,
  W: number,
  out: Uint32Array,
  outIds: Uint32Array,
  from: number,
  to: number,
): void {
  for (let j = from; j < to; j++) {
    const i = order[j]!;
    const src = i * W;
    const dst = j * W;
    for (let k = 0; k < W; k++) out[dst + k] = words[src + k]!;
    outIds[j] = ids[i]!;
  }
}

/**
 * Sorts the positions of one hot bucket by full value and groups each run of equal values under its
 * first position: the rest are marked in `skip` (left out of the tables) and listed in `groups`.
 */
function groupDuplicates(
  words: Uint32Array,
  W: number,
  bucket: Uint32Array,
  skip: Uint32Array,
  leader: Uint32Array,
  groups: Map<number, Uint32Array>,
): void {
  const order = Array.from(bucket);
  const cmp = (a: number, b: number): number => {
    for (let k = 0; k < W; k++) {
      const x = words[a * W + k]!;
      const y = words[b * W + k]!;
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
  order.sort((a, b) => cmp(a, b) || a - b);
  for (let i = 0; i < order.length; ) {
    let j = i + 1;
    while (j < order.length && cmp(order[i]!, order[j]!) === 0) j++;
    if (j - i > 1) {
      const head = order[i]!;
      leader[head >>> 5]! |= 1 << (head & 31);
      const rest = Uint32Array.from(order.slice(i + 1, j));
      for (const p of rest) skip[p >>> 5]! |= 1 << (p & 31);
      groups.set(head, rest);
    }
    i = j;
  }
}

/** Sorts flat `words` (n·W) and `ids` into increasing id order (bulk input in any order). */
export function sortById(
  words: Uint32Array,
  ids: Uint32Array,
  W: number,
): { words: Uint32Array; ids: Uint32Array } {
  const n = ids.length;
  let sorted = true;
  for (let k = 1; k < n && sorted; k++) sorted = ids[k]! > ids[k - 1]!;
  if (sorted) return { words, ids };
  const s = new Scratch(n);
  s.k1.set(ids);
  for (let i = 0; i < n; i++) s.p1[i] = i;
  drain(radixPass(s.k1, s.p1, s.k2, s.p2, n, 0, 16, n + 1));
  drain(radixPass(s.k2, s.p2, s.k1, s.p1, n, 16, 16, n + 1));
  const outWords = new Uint32Array(n * W);
  gather(words, ids, s.p1, W, outWords, s.k2, 0, n);
  return { words: outWords, ids: s.k2 };
}

function drain(it: Generator<void, void, void>): void {
  while (it.next().done !== true);
}
