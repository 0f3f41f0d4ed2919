import type { Layout } from './layout.js';
import { prefilterWords, substring } from './layout.js';
import { MihBase } from './mih-base.js';
import { prefaultInBackground } from './prefault.js';
import { alloc32, toShared } from './shared.js';

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
  prefilter = false,
  shared = false,
): Generator<void, MihBase, void> {
  const n = ids.length;
  for (let k = 1; k < n; k++) {
    if (ids[k]! <= ids[k - 1]!) throw new RangeError(`ids must be distinct and increasing (at ${k})`);
  }
  const { m, words: W, offsets: bitOff, widths } = layout;
  const scratch = new Scratch(n, shared);
  const skip = new Uint32Array((n + 31) >>> 5);
  const leader = alloc32((n + 31) >>> 5, shared);
  const groups = new Map<number, Uint32Array>();
  const pickOf = (t: number): Uint8Array | null => (prefilter ? prefilterWords(layout, t) : null);
  const stride = (t: number): number => 1 + (pickOf(t)?.length ?? 0);
  // A shared build allocates every table up front (sized for n; grouped duplicates leave a little
  // unused) and has another thread fault their pages in while this one sorts: see prefault.ts.
  const into = shared
    ? Array.from({ length: m }, (_, t) => ({
        order: alloc32(n * stride(t), true),
        off: alloc32((1 << widths[t]!) + 1, true),
      }))
    : null;
  if (into !== null) void prefaultInBackground(into.flatMap((a) => [a.order, a.off]));

  // Table 0 first, to find over-full buckets: a bucket this much over the mean is "hot", and its exact
  // duplicates are grouped so a value held by thousands of entries is verified once per search. In a
  // prefiltered base every table's sort carries the picked words of each hash along, so its entries are
  // written in sequence rather than filled from the hashes at random afterwards.
  let t0 = yield* sortTable(words, W, n, bitOff[0]!, widths[0]!, null, scratch, slice, pickOf(0), into?.[0]);
  const cap = Math.max(HOT_BUCKET_MIN, HOT_BUCKET_FACTOR * (n / 2 ** widths[0]!));
  const S0 = stride(0);
  for (let b = 0; b + 1 < t0.off.length; b++) {
    const from = t0.off[b]!;
    const to = t0.off[b + 1]!;
    if (to - from > cap) {
      const bucket = Uint32Array.from({ length: to - from }, (_, k) => t0.order[(from + k) * S0]!);
      groupDuplicates(words, W, bucket, skip, leader, groups);
      yield;
    }
  }
  if (groups.size > 0)
    t0 = yield* sortTable(words, W, n, bitOff[0]!, widths[0]!, skip, scratch, slice, pickOf(0), into?.[0]);
  const offsets: Uint32Array[] = [t0.off];
  const tables: Uint32Array[] = [t0.order];
  for (let t = 1; t < m; t++) {
    const tt = yield* sortTable(
      words,
      W,
      n,
      bitOff[t]!,
      widths[t]!,
      skip,
      scratch,
      slice,
      pickOf(t),
      into?.[t],
    );
    offsets.push(tt.off);
    tables.push(tt.order);
  }
  // A shared base keeps the hashes and ids on shared memory too (one copy, ~36 bytes an entry for PDQ).
  const w = shared ? toShared(words) : words;
  const i = shared ? toShared(ids) : ids;
  return prefilter
    ? new MihBase(layout, w, i, offsets, [], leader, groups, tables)
    : new MihBase(layout, w, i, offsets, tables, leader, groups);
}

const EMPTY = new Uint32Array(0);

/** Runs `buildSteps` to the end synchronously. */
export function buildBase(
  layout: Layout,
  words: Uint32Array,
  ids: Uint32Array,
  prefilter = false,
  shared = false,
): MihBase {
  const it = buildSteps(layout, words, ids, 1 << 30, prefilter, shared);
  for (;;) {
    const step = it.next();
    if (step.done === true) return step.value;
  }
}

/**
 * Work arrays shared by every table's sort: keys and positions, twice (ping-pong); `shared` says where
 * the tables themselves go (see shared.ts).
 */
class Scratch {
  readonly shared: boolean;
  readonly k1: Uint32Array;
  readonly p1: Uint32Array;
  readonly k2: Uint32Array;
  readonly p2: Uint32Array;
  /** Picked hash words carried along by a prefiltered table's sort (allocated on first use). */
  w1: Uint32Array = EMPTY;
  w2: Uint32Array = EMPTY;
  constructor(n: number, shared = false) {
    this.shared = shared;
    this.k1 = new Uint32Array(n);
    this.p1 = new Uint32Array(n);
    this.k2 = new Uint32Array(n);
    this.p2 = new Uint32Array(n);
  }
}

/** Low digit of a table's sort: its counting sort runs inside one high-digit bucket, in cache. */
const LOCAL_BITS = 12;

/**
 * Positions 0..n−1 (less those marked in `skip`) ordered stably by their `width`-bit substring at
 * `offset`, and the bucket starts (2^width + 1). One scatter by the high bits (width − 12, at most 2^12
 * destinations) while the keys are extracted and counted, then a counting sort of each high bucket by
 * its low 12 bits: a high bucket holds n/2^(width−12) entries (~10k at 10M and 22 bits), so that second
 * sort, and the bucket starts it writes, stay in cache. Measured at 10M PDQ: the whole build ~1.7× faster than with two
 * global LSD passes plus a sequential bucket-start pass, whose scatters each touched 2^11 pages at once.
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
  pick: Uint8Array | null = null,
  into?: { readonly order: Uint32Array; readonly off: Uint32Array },
): Generator<void, { off: Uint32Array; order: Uint32Array }, void> {
  const lowBits = Math.min(width, LOCAL_BITS);
  const highBits = width - lowBits;
  const starts = new Uint32Array((1 << highBits) + 1);
  const K = pick === null ? 0 : pick.length;
  if (K > 0 && s.w1.length < n * K) {
    s.w1 = new Uint32Array(n * K);
    s.w2 = new Uint32Array(n * K);
  }
  let u = 0;
  for (let from = 0; from < n; from += slice) {
    const to = Math.min(n, from + slice);
    const at = u;
    u = extractKeys(words, W, offset, width, lowBits, skip, s.k1, s.p1, starts, u, from, to);
    if (pick !== null) extractPicks(words, W, pick, s.p1, s.w1, at, u);
    yield;
  }
  for (let h = 1; h < starts.length; h++) starts[h]! += starts[h - 1]!;
  if (K > 0) {
    const cursor = starts.slice(0, starts.length - 1);
    for (let from = 0; from < u; from += slice) {
      scatterPicks(s.k1, s.w1, s.w2, K, cursor, lowBits, from, Math.min(u, from + slice));
      yield;
    }
  }
  const cursor = starts.slice(0, starts.length - 1);
  for (let from = 0; from < u; from += slice) {
    scatterHigh(s.k1, s.p1, s.k2, s.p2, cursor, lowBits, from, Math.min(u, from + slice));
    yield;
  }
  const order = into ? into.order.subarray(0, u * (1 + K)) : alloc32(u * (1 + K), s.shared);
  const off = into ? into.off : alloc32((1 << width) + 1, s.shared);
  const count = new Uint32Array((1 << lowBits) + 1);
  let done = 0;
  for (let h = 0; h < 1 << highBits; h++) {
    const a = starts[h]!;
    const b = starts[h + 1]!;
    if (K > 0) sortLowWide(s.k2, s.p2, s.w2, K, a, b, h << lowBits, lowBits, count, order, off);
    else sortLow(s.k2, s.p2, a, b, h << lowBits, lowBits, count, order, off);
    done += starts[h + 1]! - starts[h]!;
    if (done >= slice) {
      done = 0;
      yield;
    }
  }
  off[1 << width] = u;
  return { off, order };
}

/** Keys and positions of entries `from..to` appended at `u`; counts each key's high digit (at +1). */
function extractKeys(
  words: Uint32Array,
  W: number,
  offset: number,
  width: number,
  lowBits: number,
  skip: Uint32Array | null,
  keys: Uint32Array,
  pos: Uint32Array,
  counts: Uint32Array,
  u: number,
  from: number,
  to: number,
): number {
  for (let p = from, o = from * W; p < to; p++, o += W) {
    if (skip !== null && (skip[p >>> 5]! & (1 << (p & 31))) !== 0) continue;
    const k = substring(words, o, offset, width);
    keys[u] = k;
    pos[u++] = p;
    counts[(k >>> lowBits) + 1]!++;
  }
  return u;
}

/** The picked words (K a key) of the entries whose positions sit at `pos[from..to]`, in that order. */
function extractPicks(
  words: Uint32Array,
  W: number,
  pick: Uint8Array,
  pos: Uint32Array,
  out: Uint32Array,
  from: number,
  to: number,
): void {
  const K = pick.length;
  for (let i = from, at = from * K; i < to; i++) {
    const o = pos[i]! * W;
    for (let j = 0; j < K; j++) out[at++] = words[o + pick[j]!]!;
  }
}

/** The scatter of `scatterHigh` applied to the picked words (K a key), before it moves the keys. */
function scatterPicks(
  ks: Uint32Array,
  ws: Uint32Array,
  wd: Uint32Array,
  K: number,
  cursor: Uint32Array,
  lowBits: number,
  from: number,
  to: number,
): void {
  for (let i = from; i < to; i++) {
    const j = cursor[ks[i]! >>> lowBits]!++ * K;
    for (let x = 0, y = i * K; x < K; x++, y++) wd[j + x] = ws[y]!;
  }
}

/** Stable scatter of (key, position) pairs by high digit; only the low digit of the key is kept. */
function scatterHigh(
  ks: Uint32Array,
  ps: Uint32Array,
  kd: Uint32Array,
  pd: Uint32Array,
  cursor: Uint32Array,
  lowBits: number,
  from: number,
  to: number,
): void {
  const mask = (1 << lowBits) - 1;
  for (let i = from; i < to; i++) {
    const k = ks[i]!;
    const j = cursor[k >>> lowBits]!++;
    kd[j] = k & mask;
    pd[j] = ps[i]!;
  }
}

/**
 * Counting sort of one high bucket (`a..b` of the scattered pairs) by low digit into `order[a..b]`,
 * writing the starts of its 2^lowBits buckets at `off[base…]`.
 */
/** `sortLow` writing prefiltered entries: each position followed by its K picked words. */
function sortLowWide(
  kl: Uint32Array,
  ps: Uint32Array,
  ws: Uint32Array,
  K: number,
  a: number,
  b: number,
  base: number,
  lowBits: number,
  count: Uint32Array,
  out: Uint32Array,
  off: Uint32Array,
): void {
  const S = 1 + K;
  lowStarts(kl, a, b, base, lowBits, count, off);
  for (let i = a; i < b; i++) {
    const o = count[kl[i]!]!++ * S;
    out[o] = ps[i]!;
    for (let x = 0, y = i * K; x < K; x++, y++) out[o + 1 + x] = ws[y]!;
  }
}

function sortLow(
  kl: Uint32Array,
  ps: Uint32Array,
  a: number,
  b: number,
  base: number,
  lowBits: number,
  count: Uint32Array,
  order: Uint32Array,
  off: Uint32Array,
): void {
  lowStarts(kl, a, b, base, lowBits, count, off);
  for (let i = a; i < b; i++) order[count[kl[i]!]!++] = ps[i]!;
}

/**
 * Counts the low digits of high bucket `a..b`, writes its 2^lowBits bucket starts at `off[base…]`, and
 * leaves `count[l]` at the start of low bucket l: the cursors of the scatter that follows.
 */
function lowStarts(
  kl: Uint32Array,
  a: number,
  b: number,
  base: number,
  lowBits: number,
  count: Uint32Array,
  off: Uint32Array,
): void {
  const size = 1 << lowBits;
  count.fill(0);
  for (let i = a; i < b; i++) count[kl[i]! + 1]!++;
  let at = a;
  for (let l = 0; l < size; l++) {
    at += count[l + 1]!;
    count[l + 1] = at;
    off[base + l] = l === 0 ? a : count[l]!;
  }
  count[0] = a;
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
  radixPass16(s.k1, s.p1, s.k2, s.p2, n, 0);
  radixPass16(s.k2, s.p2, s.k1, s.p1, n, 16);
  const outWords = new Uint32Array(n * W);
  gather(words, ids, s.p1, W, outWords, s.k2, 0, n);
  return { words: outWords, ids: s.k2 };
}

/** One stable LSD pass on the 16-bit digit at `shift` of keys: (ks, ps) → (kd, pd). */
function radixPass16(
  ks: Uint32Array,
  ps: Uint32Array,
  kd: Uint32Array,
  pd: Uint32Array,
  n: number,
  shift: number,
): void {
  const cursor = new Uint32Array(65_537);
  for (let i = 0; i < n; i++) cursor[((ks[i]! >>> shift) & 0xffff) + 1]!++;
  for (let b = 1; b < cursor.length; b++) cursor[b]! += cursor[b - 1]!;
  for (let i = 0; i < n; i++) {
    const k = ks[i]!;
    const j = cursor[(k >>> shift) & 0xffff]!++;
    kd[j] = k;
    pd[j] = ps[i]!;
  }
}
