import { readFileSync } from 'node:fs';

/**
 * Transparent huge pages for the index. An index of millions of hashes is read at random (thousands of
 * cache lines a search), and with 4 KiB pages nearly every read also misses the TLB. glibc ≥ 2.35 backs
 * its large allocations (every ArrayBuffer of the index) with 2 MiB pages when the process starts with
 * `GLIBC_TUNABLES=glibc.malloc.hugetlb=1` and the kernel's THP mode is `madvise` or `always`. It cannot
 * be switched on from inside a running process, so `npm start`, the benchmarks and the Dockerfile set it,
 * and `serve` says when it is missing. Elsewhere (macOS, musl) the variable is ignored.
 */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/** Whether this process was started asking glibc for huge pages (hugetlb=1 or 2). */
export function hugePagesRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return /(^|:)glibc\.malloc\.hugetlb=[12]($|:)/.test(env.GLIBC_TUNABLES ?? '');
}

/** `env` with the huge-pages tunable added (`on`) or taken out (`off`), other tunables kept. */
export function withHugePages(env: NodeJS.ProcessEnv, on: boolean): NodeJS.ProcessEnv {
  const others = (env.GLIBC_TUNABLES ?? '')
    .split(':')
    .filter((t) => t !== '' && !t.startsWith('glibc.malloc.hugetlb='));
  if (on) others.push(HUGE_PAGES_TUNABLE);
  const out = { ...env };
  if (others.length === 0) delete out.GLIBC_TUNABLES;
  else out.GLIBC_TUNABLES = others.join(':');
  return out;
}

/** Bytes of this process's memory in transparent huge pages, or null where /proc does not say. */
export function anonHugeBytes(): number | null {
  try {
    const m = /^AnonHugePages:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    return m === null ? null : Number(m[1]) * 1024;
  } catch {
    return null;
  }
}

/** A one-line hint for the server's start-up log, or null when there is nothing to suggest. */
export function hugePagesHint(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== 'linux' || hugePagesRequested(env)) return null;
  return `start with GLIBC_TUNABLES=${HUGE_PAGES_TUNABLE} for transparent huge pages: index searches measured ~1.2x faster on a 10M-entry list (README, "Huge pages")`;
}
