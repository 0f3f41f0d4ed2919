/**
 * Where a worker thread's entry file is: workers cannot load TypeScript, so a module running from
 * src/ (under vitest) starts the compiled file in dist/src/ instead, at the same relative place.
 */
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled `name` (e.g. `search-worker.js`) next to the module at `moduleUrl` (its import.meta.url). */
export function workerFile(moduleUrl: string, name: string): string {
  const here = fileURLToPath(moduleUrl);
  const dir = dirname(here);
  if (!here.endsWith('.ts')) return join(dir, name);
  let src = dir;
  while (basename(src) !== 'src' && dirname(src) !== src) src = dirname(src);
  return join(dirname(src), 'dist', 'src', relative(src, dir), name);
}
