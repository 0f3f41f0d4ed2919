import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.js';

/** A fresh store in its own temp directory; `cleanup` closes it and removes the directory. */
export async function tempStore(): Promise<{
  store: Store;
  dir: string;
  path: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(os.tmpdir(), 'hw-store-'));
  const path = join(dir, 'test.db');
  const store = Store.open(path);
  return {
    store,
    dir,
    path,
    cleanup: async () => {
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic pseudo-random hex (xorshift32), so failures reproduce. */
export function makeHex(seed: number, bytes: number): () => string {
  let x = seed >>> 0 || 1;
  return () => {
    let s = '';
    for (let i = 0; i < bytes; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      s += (x & 255).toString(16).padStart(2, '0');
    }
    return s;
  };
}

/** Lines as an async iterable (the "already split" import source). */
export async function* asLines(lines: readonly string[]): AsyncGenerator<string> {
  for (const l of lines) yield l;
}

export const ACTOR = 'tester';
