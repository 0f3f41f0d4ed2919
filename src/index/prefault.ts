/**
 * Faulting in fresh memory is a large part of building a big index: the kernel maps and zeroes every
 * page on first touch. With 2 MiB huge pages (README, "Huge pages") it costs ~2.6 ms a MiB on these
 * machines against ~0.6 ms with 4 KiB pages (measured: 400 MiB touched in 1,059 ms vs 236 ms), which
 * made a 10M PDQ build 1.8 s slower with huge pages than without. Tables on shared memory can be
 * touched by another thread while the build sorts: the faults then cost the build nothing but that
 * thread's core.
 */
import { Worker } from 'node:worker_threads';
import { workerFile } from '../worker-file.js';

/** Smallest total worth a thread (its start-up costs ~30 ms). */
export const PREFAULT_MIN_BYTES = 64 * 1024 * 1024;

/**
 * Starts a thread that touches every page of `arrays` (views of SharedArrayBuffers), and returns at
 * once; the promise settles when it is done (false when it was not started or failed: the pages then
 * fault in wherever they are first written, as usual). Never holds the process open.
 */
export function prefaultInBackground(arrays: readonly Uint32Array[]): Promise<boolean> {
  const shared = arrays.filter((a) => a.buffer instanceof SharedArrayBuffer);
  let bytes = 0;
  for (const a of shared) bytes += a.byteLength;
  if (bytes < PREFAULT_MIN_BYTES) return Promise.resolve(false);
  return new Promise<boolean>((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(workerFile(import.meta.url, 'prefault-worker.js'));
    } catch {
      resolve(false);
      return;
    }
    worker.unref();
    worker.once('message', () => {
      resolve(true);
      void worker.terminate();
    });
    worker.once('error', () => resolve(false));
    worker.once('exit', () => resolve(false));
    worker.postMessage(shared);
  });
}
