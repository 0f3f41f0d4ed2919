/**
 * Typed arrays on SharedArrayBuffer: an index built this way can be searched from worker threads
 * (src/index/search-pool.ts) without copying it, while the owning thread keeps writing its tombstones.
 */

/** A zeroed Uint32Array of `length`, on a SharedArrayBuffer when `shared`. */
export function alloc32(length: number, shared: boolean): Uint32Array {
  return shared ? new Uint32Array(new SharedArrayBuffer(length * 4)) : new Uint32Array(length);
}

/** Whether `a` lives on a SharedArrayBuffer. */
export function isShared(a: Uint32Array): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}

/** `a` itself when it is already shared, else a shared copy of it. */
export function toShared(a: Uint32Array): Uint32Array {
  if (isShared(a)) return a;
  const out = alloc32(a.length, true);
  out.set(a);
  return out;
}
