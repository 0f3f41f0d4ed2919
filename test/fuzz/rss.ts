/**
 * Resident set size after a full garbage collection. `gc` is exposed at run time (the test runner
 * does not pass --expose-gc), so "RSS returned to baseline" compares like with like.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** Forces a major GC (twice: finalizers of the first free more) and returns process RSS in bytes. */
export function gcAndRss(): number {
  if (gc === undefined) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
  return process.memoryUsage.rss();
}
