import { describe, expect, it } from 'vitest';
import {
  anonHugeBytes,
  HUGE_PAGES_TUNABLE,
  hugePagesHint,
  hugePagesRequested,
  withHugePages,
} from '../src/huge-pages.js';

describe('huge pages', () => {
  it('reads the glibc tunable among others', () => {
    expect(hugePagesRequested({})).toBe(false);
    expect(hugePagesRequested({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })).toBe(true);
    expect(hugePagesRequested({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2' })).toBe(
      true,
    );
    expect(hugePagesRequested({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' })).toBe(false);
    expect(hugePagesRequested({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=10' })).toBe(false);
  });

  it('adds and removes the tunable, keeping the others', () => {
    const on = withHugePages({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }, true);
    expect(on).toEqual({ PATH: '/bin', GLIBC_TUNABLES: `glibc.malloc.arena_max=2:${HUGE_PAGES_TUNABLE}` });
    expect(withHugePages(on, false)).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
    expect(withHugePages({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE }, false)).toEqual({});
    expect(withHugePages({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }, true)).toEqual({
      GLIBC_TUNABLES: HUGE_PAGES_TUNABLE,
    });
  });

  it('hints only where it applies', () => {
    expect(hugePagesHint({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })).toBeNull();
    const hint = hugePagesHint({});
    if (process.platform === 'linux') expect(hint).toContain(HUGE_PAGES_TUNABLE);
    else expect(hint).toBeNull();
  });

  it('reports the bytes in huge pages where /proc has them', () => {
    const bytes = anonHugeBytes();
    // Linux without /proc/self/smaps_rollup (old kernels, some sandboxes) also gives null.
    expect(bytes === null || bytes >= 0).toBe(true);
    if (process.platform !== 'linux') expect(bytes).toBeNull();
  });
});
