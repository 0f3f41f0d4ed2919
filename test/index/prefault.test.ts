import { describe, expect, it } from 'vitest';
import { PREFAULT_MIN_BYTES, prefaultInBackground } from '../../src/index/prefault.js';
import { alloc32 } from '../../src/index/shared.js';

describe('prefaultInBackground', () => {
  it('touches shared arrays on another thread without changing a value', async () => {
    const a = alloc32(PREFAULT_MIN_BYTES / 4, true);
    const b = alloc32(1 << 20, true);
    for (let k = 0; k < a.length; k += 997) a[k] = k ^ 0x5a5a5a5a;
    b.fill(7);
    const running = prefaultInBackground([a, b]);
    // Writes while the thread runs are never lost (it only ORs 0 into each page's first word).
    for (let k = 0; k < a.length; k += 4096) a[k] = 0xdeadbeef;
    expect(await running).toBe(true);
    for (let k = 0; k < a.length; k += 997) {
      expect(a[k]).toBe(k % 4096 === 0 ? 0xdeadbeef : (k ^ 0x5a5a5a5a) >>> 0);
    }
    expect(b.every((v) => v === 7)).toBe(true);
  });

  it('starts no thread for small or unshared arrays', async () => {
    expect(await prefaultInBackground([alloc32(1024, true)])).toBe(false);
    expect(await prefaultInBackground([new Uint32Array(PREFAULT_MIN_BYTES / 4)])).toBe(false);
  });
});
