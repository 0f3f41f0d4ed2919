/**
 * Keys are compared in constant time (issue 7, phase 2): verify() looks the presented key up by its
 * SHA-256 digest and confirms the stored digest with crypto.timingSafeEqual, never with `===` on the
 * key or a prefix. Checked by observing the calls, not by timing (timing assertions flake).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

const calls = vi.hoisted(() => ({ timingSafeEqual: [] as [Buffer, Buffer][], hashes: [] as string[] }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    default: real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.timingSafeEqual.push([
        Buffer.from(a.buffer, a.byteOffset, a.byteLength),
        Buffer.from(b.buffer, b.byteOffset, b.byteLength),
      ]);
      return real.timingSafeEqual(a, b);
    },
    createHash: (algorithm: string) => {
      calls.hashes.push(algorithm);
      return real.createHash(algorithm);
    },
  };
});

const { Store } = await import('../../src/store/store.js');

describe('API key verification', () => {
  let dir: string;
  let store: import('../../src/store/store.js').Store;
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hw-keyverify-'));
    store = Store.open(join(dir, 'hw.db'));
  });
  afterAll(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is a SHA-256 lookup confirmed with timingSafeEqual', () => {
    const { key } = store.keys.create({ name: 'k', scopes: ['match'] }, 'test');
    calls.timingSafeEqual.length = 0;
    calls.hashes.length = 0;
    expect(store.keys.verify(key)?.name).toBe('k');
    expect(calls.hashes).toEqual(['sha256']);
    const digest = createHash('sha256').update(key).digest();
    expect(calls.timingSafeEqual).toHaveLength(1);
    for (const side of calls.timingSafeEqual[0]!) expect(side.equals(digest)).toBe(true);
  });

  it('an unknown key (even one sharing the prefix) is hashed and refused; nothing compares the raw key', () => {
    const { key } = store.keys.create({ name: 'k2', scopes: ['match'] }, 'test');
    calls.hashes.length = 0;
    const near = `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`;
    expect(store.keys.verify(near)).toBeUndefined();
    expect(calls.hashes).toEqual(['sha256']);
    // The stored form is the digest: the database never holds the key.
    const raw = JSON.stringify(store.keys.list());
    expect(raw).not.toContain(key);
  });
});
