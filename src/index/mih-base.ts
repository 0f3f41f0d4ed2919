import { popcount32 } from '../hash/distance.js';
import { boundedDistance } from './flat.js';
import { type Layout, prefilterWords, probeCount, probeMasks, probeRadii, substring } from './layout.js';
import { alloc32, isShared } from './shared.js';
import type { IndexMatch } from './types.js';

/**
 * Everything a worker thread needs to search a base built on shared memory (see MihBase.descriptor):
 * the arrays are views of SharedArrayBuffers, so posting this copies only `groups` and the layout.
 */
export interface SharedBaseDescriptor {
  readonly layout: Layout;
  readonly words: Uint32Array;
  readonly ids: Uint32Array;
  readonly offsets: readonly Uint32Array[];
  readonly tables: readonly Uint32Array[];
  readonly wide: readonly Uint32Array[] | null;
  readonly leader: Uint32Array;
  readonly dead: Uint32Array;
  readonly groups: readonly (readonly [number, Uint32Array])[];
}

/**
 * The bulk part of a MIH index, immutable once built apart from its tombstones. Hashes are stored once,
 * flat, in increasing id order (the store's rowid order, so a bulk load needs no reordering and
 * remove(id) is a binary search on `ids`); each of the m tables holds positions in counting-sort layout.
 * At 10M PDQ with 8×22 + 4×20 bits: 32 (words) + 4 (id) + 12·4 (tables) + 15 (offsets) ≈ 99 bytes an entry.
 */
export class MihBase {
  readonly layout: Layout;
  readonly n: number;
  /** n·W words, in increasing id order. */
  readonly words: Uint32Array;
  /** Caller id of each position, strictly increasing. */
  readonly ids: Uint32Array;
  /** Per table, 2^width + 1 bucket starts. */
  readonly offsets: readonly Uint32Array[];
  /** Per table, positions by bucket (empty in a prefiltered base: the positions are in `wide`). */
  readonly tables: readonly Uint32Array[];
  /**
   * A prefiltered ("fast") base: per table, entries of 1 + K words by bucket, the position and K words
   * of its hash (`picks[t]`, see prefilterWords). A search scans a bucket's entries in sequence and
   * rejects nearly every candidate on those 96 bits (a random PDQ hash is within 31 of them with
   * probability ~0.03 %), so it reads the stored hash, a cache miss each, only for real near matches.
   * 16 bytes an entry a table instead of 4; null in a compact base.
   */
  readonly wide: readonly Uint32Array[] | null;
  readonly picks: readonly Uint8Array[];
  /** Tombstones, one bit a position. */
  readonly dead: Uint32Array;
  /**
   * Runs of exact duplicates found in over-full buckets at build (flat images, one hash in several
   * lists): only the first position of a run is in the tables and verified; `leader` marks it and
   * `groups` holds the others, which are emitted with it.
   */
  readonly leader: Uint32Array;
  readonly groups: ReadonlyMap<number, Uint32Array>;
  liveCount: number;
  /** Scratch for one search: positions verified so far (bits), and which words to clear after. */
  #seen: Uint32Array | null = null;
  #touched: Uint32Array = new Uint32Array(4096);
  #cand: Uint32Array = new Uint32Array(4096);
  #descriptor: SharedBaseDescriptor | null | undefined = undefined;
  /** Keeps the cache-warming loads of a search observable, so the JIT cannot drop them. */
  sink = 0;

  constructor(
    layout: Layout,
    words: Uint32Array,
    ids: Uint32Array,
    offsets: Uint32Array[],
    tables: Uint32Array[],
    leader: Uint32Array,
    groups: ReadonlyMap<number, Uint32Array>,
    wide: readonly Uint32Array[] | null = null,
    dead: Uint32Array | null = null,
  ) {
    this.layout = layout;
    this.wide = wide;
    this.picks = Array.from({ length: layout.m }, (_, t) => prefilterWords(layout, t));
    this.n = ids.length;
    this.words = words;
    this.ids = ids;
    this.offsets = offsets;
    this.tables = tables;
    // Tombstones written here are seen by worker threads searching the same shared base.
    this.dead = dead ?? alloc32((this.n + 31) >>> 5, isShared(words));
    this.leader = leader;
    this.groups = groups;
    this.liveCount = this.n;
  }

  /**
   * The shared-memory view of this base, for SearchPool; null when the base was not built shared.
   * Computed once: the arrays never change identity.
   */
  descriptor(): SharedBaseDescriptor | null {
    if (this.#descriptor === undefined) {
      const arrays = [
        this.words,
        this.ids,
        this.leader,
        this.dead,
        ...this.offsets,
        ...this.tables,
        ...(this.wide ?? []),
      ];
      this.#descriptor = arrays.every(isShared)
        ? {
            layout: this.layout,
            words: this.words,
            ids: this.ids,
            offsets: this.offsets,
            tables: this.tables,
            wide: this.wide,
            leader: this.leader,
            dead: this.dead,
            groups: [...this.groups],
          }
        : null;
    }
    return this.#descriptor;
  }

  /** A searchable view of a shared base, in another thread (liveCount is not tracked there). */
  static fromDescriptor(d: SharedBaseDescriptor): MihBase {
    return new MihBase(
      d.layout,
      d.words,
      d.ids,
      [...d.offsets],
      [...d.tables],
      d.leader,
      new Map(d.groups),
      d.wide,
      d.dead,
    );
  }

  isLive(p: number): boolean {
    return (this.dead[p >>> 5]! & (1 << (p & 31))) === 0;
  }

  /** Position of the live entry with `id`, or −1. */
  find(id: number): number {
    const { ids } = this;
    let lo = 0;
    let hi = this.n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid]! < id) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.n && ids[lo] === id && this.isLive(lo) ? lo : -1;
  }

  /** Tombstones position `p`. */
  kill(p: number): void {
    if (!this.isLive(p)) return;
    this.dead[p >>> 5]! |= 1 << (p & 31);
    this.liveCount--;
  }

  /** Appends every live entry within `r` of `q` to `out`. */
  search(q: Uint32Array, r: number, out: IndexMatch[]): void {
    const { layout, n } = this;
    // Past this many expected candidates a straight scan is cheaper than probing (and has no
    // enumeration blow-up at large radii): the probe count times the mean bucket size.
    let meanWidth = 0;
    for (const w of layout.widths) meanWidth += w;
    meanWidth /= layout.m;
    if (probeCount(layout, r) * (n / 2 ** meanWidth + 1) > n / 4) {
      this.#scan(q, r, out);
      return;
    }
    const { m, offsets: bitOff, widths, words: W } = layout;
    const radii = probeRadii(m, r);
    const qsub = new Uint32Array(m);
    for (let t = 0; t < m; t++) qsub[t] = substring(q, 0, bitOff[t]!, widths[t]!);
    if (this.wide !== null) {
      this.#searchWide(this.wide, q, r, radii, qsub, out);
      return;
    }
    const words = this.words;
    this.#seen ??= new Uint32Array(this.dead.length);
    const seen = this.#seen;
    let touched: Uint32Array = this.#touched;
    let nt = 0;
    let cand: Uint32Array = this.#cand;
    let nc = 0;
    let sink = this.#touchOffsets(radii, qsub);
    // Phase 1: gather each candidate position once (members of a near-duplicate family are often reached
    // from several tables); a bit a position (n/8 bytes), cleared after the search.
    for (let t = 0; t < m; t++) {
      const rt = radii[t]!;
      if (rt < 0) continue;
      const masks = probeMasks(widths[t]!, rt);
      const off = this.offsets[t]!;
      const tab = this.tables[t]!;
      const qv = qsub[t]!;
      for (let mi = 0; mi < masks.length; mi++) {
        const b = qv ^ masks[mi]!;
        const end = off[b + 1]!;
        for (let k = off[b]!; k < end; k++) {
          const p = tab[k]!;
          const wi = p >>> 5;
          const bit = 1 << (p & 31);
          if ((seen[wi]! & bit) !== 0) continue;
          seen[wi]! |= bit;
          if (nt === touched.length) touched = this.#growTouched();
          touched[nt++] = wi;
          if (nc === cand.length) cand = this.#growCand();
          cand[nc++] = p;
        }
      }
    }
    for (let i = 0; i < nt; i++) seen[touched[i]!] = 0;
    // Phase 2: touch each candidate's hash once. These loads are independent, so the CPU overlaps
    // dozens of cache misses; in the verify loop below, the popcount work between loads would limit
    // that to a few at a time. Measured: about 2.5× fewer ns a candidate on a 1M-entry PDQ index.
    for (let i = 0; i < nc; i++) sink ^= words[cand[i]! * W]!;
    this.sink = sink;
    // Phase 3: verify against the warmed cache lines.
    const q0 = q[0]!;
    const q1 = q[1] ?? 0;
    const q2 = q[2] ?? 0;
    const q3 = q[3] ?? 0;
    const q4 = q[4] ?? 0;
    const q5 = q[5] ?? 0;
    const q6 = q[6] ?? 0;
    const q7 = q[7] ?? 0;
    for (let i = 0; i < nc; i++) {
      const p = cand[i]!;
      const o = p * W;
      let d: number;
      if (W === 8) {
        // PDQ, unrolled with the query in locals: a random candidate is ~128 bits away, so four words
        // reject nearly all of them.
        d =
          popcount32(words[o]! ^ q0) +
          popcount32(words[o + 1]! ^ q1) +
          popcount32(words[o + 2]! ^ q2) +
          popcount32(words[o + 3]! ^ q3);
        if (d > r) continue;
        d +=
          popcount32(words[o + 4]! ^ q4) +
          popcount32(words[o + 5]! ^ q5) +
          popcount32(words[o + 6]! ^ q6) +
          popcount32(words[o + 7]! ^ q7);
      } else if (W === 2) {
        d = popcount32(words[o]! ^ q0) + popcount32(words[o + 1]! ^ q1);
      } else {
        d = boundedDistance(words, o, q, W, r);
      }
      if (d > r) continue;
      this.#emit(p, d, out);
    }
  }

  #searchWide(
    wide: readonly Uint32Array[],
    q: Uint32Array,
    r: number,
    radii: Int32Array,
    qsub: Uint32Array,
    out: IndexMatch[],
  ): void {
    const { m, widths, words: W } = this.layout;
    const words = this.words;
    this.#seen ??= new Uint32Array(this.dead.length);
    const seen = this.#seen;
    let touched: Uint32Array = this.#touched;
    let nt = 0;
    // Phase 0b: touch every cache line of every probed bucket, now that its offsets are cached:
    // independent loads the CPU overlaps, so the scan below runs on cached lines. Touching only each
    // bucket's first line left the scan waiting on the rest (a 1M-entry bucket spans ~4 lines):
    // measured on 1M PDQ, 1.2–1.3× the queries a second.
    let sink = this.#touchOffsets(radii, qsub);
    for (let t = 0; t < m; t++) {
      const rt = radii[t]!;
      if (rt < 0) continue;
      const masks = probeMasks(widths[t]!, rt);
      const off = this.offsets[t]!;
      const e = wide[t]!;
      const S = 1 + this.picks[t]!.length;
      const qv = qsub[t]!;
      for (let mi = 0; mi < masks.length; mi++) {
        const b = qv ^ masks[mi]!;
        const end = off[b + 1]! * S;
        for (let k = off[b]! * S; k < end; k += LINE_WORDS) sink ^= e[k]!;
      }
    }
    this.sink = sink;
    // Phase 1: scan each probed bucket's entries; verify the few that pass the prefilter, once each.
    for (let t = 0; t < m; t++) {
      const rt = radii[t]!;
      if (rt < 0) continue;
      const masks = probeMasks(widths[t]!, rt);
      const off = this.offsets[t]!;
      const e = wide[t]!;
      const pick = this.picks[t]!;
      const K = pick.length;
      const S = 1 + K;
      const qa = q[pick[0]!]!;
      const qb = K > 1 ? q[pick[1]!]! : 0;
      const qc = K > 2 ? q[pick[2]!]! : 0;
      const qv = qsub[t]!;
      for (let mi = 0; mi < masks.length; mi++) {
        const b = qv ^ masks[mi]!;
        const end = off[b + 1]! * S;
        for (let k = off[b]! * S; k < end; k += S) {
          const lb =
            K === 3
              ? popcount96(e[k + 1]! ^ qa, e[k + 2]! ^ qb, e[k + 3]! ^ qc)
              : prefilterBits(e, k, K, qa, qb);
          if (lb > r) continue;
          const p = e[k]!;
          const wi = p >>> 5;
          const bit = 1 << (p & 31);
          if ((seen[wi]! & bit) !== 0) continue;
          seen[wi]! |= bit;
          if (nt === touched.length) touched = this.#growTouched();
          touched[nt++] = wi;
          // The entry holds the whole hash when it has K words: then lb is the distance.
          const d = K === W ? lb : boundedDistance(words, p * W, q, W, r);
          if (d <= r) this.#emit(p, d, out);
        }
      }
    }
    for (let i = 0; i < nt; i++) seen[touched[i]!] = 0;
  }

  /**
   * Phase 0 of a search: touch every probed bucket's offset first. With 2^20+ buckets a table, each
   * offset read misses the cache; independent loads overlap, where the loops after would wait on each.
   */
  #touchOffsets(radii: Int32Array, qsub: Uint32Array): number {
    const { m, widths } = this.layout;
    let sink = 0;
    for (let t = 0; t < m; t++) {
      const rt = radii[t]!;
      if (rt < 0) continue;
      const masks = probeMasks(widths[t]!, rt);
      const off = this.offsets[t]!;
      const qv = qsub[t]!;
      for (let mi = 0; mi < masks.length; mi++) sink ^= off[qv ^ masks[mi]!]!;
    }
    return sink;
  }

  #growCand(): Uint32Array {
    const next = new Uint32Array(this.#cand.length * 2);
    next.set(this.#cand);
    this.#cand = next;
    return next;
  }

  #growTouched(): Uint32Array {
    const next = new Uint32Array(this.#touched.length * 2);
    next.set(this.#touched);
    this.#touched = next;
    return next;
  }

  /** Emits position `p` if live, and the live duplicates grouped under it. */
  #emit(p: number, d: number, out: IndexMatch[]): void {
    const { ids } = this;
    if (this.isLive(p)) out.push({ id: ids[p]!, distance: d });
    if ((this.leader[p >>> 5]! & (1 << (p & 31))) === 0) return;
    for (const f of this.groups.get(p)!) if (this.isLive(f)) out.push({ id: ids[f]!, distance: d });
  }

  #scan(q: Uint32Array, r: number, out: IndexMatch[]): void {
    // Sequential over the storage; grouped duplicates are plain entries here.
    const { words, ids, n } = this;
    const W = this.layout.words;
    for (let p = 0, o = 0; p < n; p++, o += W) {
      const d = boundedDistance(words, o, q, W, r);
      if (d <= r && this.isLive(p)) out.push({ id: ids[p]!, distance: d });
    }
  }

  memoryBytes(): number {
    let total = this.words.byteLength + this.ids.byteLength + this.dead.byteLength + this.leader.byteLength;
    for (const o of this.offsets) total += o.byteLength;
    for (const t of this.tables) total += t.byteLength;
    for (const e of this.wide ?? []) total += e.byteLength;
    for (const g of this.groups.values()) total += g.byteLength;
    return total;
  }
}

/** 32-bit words in a 64-byte cache line. */
const LINE_WORDS = 16;

/**
 * popcount(x) + popcount(y) + popcount(z) with the three words' 2- and 4-bit partial sums added before
 * the byte stage (a nibble holds at most 12), about a fifth fewer operations than three popcounts.
 */
function popcount96(x: number, y: number, z: number): number {
  x -= (x >>> 1) & 0x55555555;
  y -= (y >>> 1) & 0x55555555;
  z -= (z >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  y = (y & 0x33333333) + ((y >>> 2) & 0x33333333);
  z = (z & 0x33333333) + ((z >>> 2) & 0x33333333);
  let s = x + y + z;
  s = (s & 0x0f0f0f0f) + ((s >>> 4) & 0x0f0f0f0f);
  return Math.imul(s, 0x01010101) >>> 24;
}

/** Prefilter distance of an entry with fewer than three prefilter words (short hash types). */
function prefilterBits(e: Uint32Array, k: number, K: number, qa: number, qb: number): number {
  return K > 1 ? popcount32(e[k + 1]! ^ qa) + popcount32(e[k + 2]! ^ qb) : popcount32(e[k + 1]! ^ qa);
}
