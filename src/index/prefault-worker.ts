/**
 * The thread of prefaultInBackground (prefault.ts): writes one word of every 4 KiB page of the arrays
 * it is given, with an atomic OR of 0, so the kernel maps (and zeroes) the pages here while the building
 * thread works, without ever changing a value that thread has written.
 */
import { parentPort } from 'node:worker_threads';

const PAGE_WORDS = 1024;

parentPort?.once('message', (arrays: Uint32Array[]) => {
  for (const a of arrays) for (let k = 0; k < a.length; k += PAGE_WORDS) Atomics.or(a, k, 0);
  parentPort?.postMessage('done');
});
