import type { IndexMatch } from '../../src/index/types.js';

/** mulberry32: a tiny seeded PRNG, so every run sees the same data. Returns uint32s. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** A uniformly random hash of `bytes` bytes. */
export function randomHash(bytes: number, rnd: () => number): Uint8Array {
  const h = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) h[i] = rnd() & 255;
  return h;
}

/** A copy of `hash` with exactly `k` distinct bits flipped (so at Hamming distance k). */
export function atDistance(hash: Uint8Array, k: number, rnd: () => number): Uint8Array {
  const out = hash.slice();
  const bits = hash.length * 8;
  const seen = new Set<number>();
  while (seen.size < k) {
    const b = rnd() % bits;
    if (seen.has(b)) continue;
    seen.add(b);
    out[b >>> 3]! ^= 1 << (b & 7);
  }
  return out;
}

/** `n` hashes: uniform, or in `centres` families with points `lo..hi` bits from their centre. */
export function dataset(
  n: number,
  bytes: number,
  rnd: () => number,
  clusters?: { centres: number; lo: number; hi: number },
): Uint8Array[] {
  if (clusters === undefined) return Array.from({ length: n }, () => randomHash(bytes, rnd));
  const centres = Array.from({ length: clusters.centres }, () => randomHash(bytes, rnd));
  return Array.from({ length: n }, () =>
    atDistance(
      centres[rnd() % centres.length]!,
      clusters.lo + (rnd() % (clusters.hi - clusters.lo + 1)),
      rnd,
    ),
  );
}

/** Concatenates hashes into one flat array, the bulk-build input. */
export function flat(hashes: readonly Uint8Array[]): Uint8Array {
  const bytes = hashes[0]?.length ?? 0;
  const out = new Uint8Array(hashes.length * bytes);
  hashes.forEach((h, i) => {
    out.set(h, i * bytes);
  });
  return out;
}

/** Matches in a canonical order, for equality against the oracle. */
export function canon(ms: readonly IndexMatch[]): string[] {
  return ms.map((m) => `${m.id}:${m.distance}`).sort();
}
