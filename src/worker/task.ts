/**
 * The hashing task, loaded in each pool thread through task-entry.cts: one task decodes one image once
 * and computes every hash. sharp runs one libvips thread here and keeps no cache.
 */
import sharp from 'sharp';
import { HashwardenError } from '../errors.js';
import { hashImage } from './compute.js';
import type { HashTaskReply, HashTaskRequest } from './protocol.js';

sharp.concurrency(1);
sharp.cache(false);

export default async function hashTask(request: HashTaskRequest): Promise<HashTaskReply> {
  const bytes = new Uint8Array(request.buffer);
  try {
    return { ok: true, result: await hashImage(bytes, request.options) };
  } catch (err) {
    if (err instanceof HashwardenError) return { ok: false, error: err.toJSON() };
    // Unknown failures are reported by code only; their details stay out of replies.
    return { ok: false, error: { code: 'HW_ERR_INTERNAL', message: 'Hashing failed unexpectedly' } };
  }
}

/**
 * Ends the worker thread abruptly, as a native crash would. Reachable only through
 * `HashPool.crashOneWorkerForTest()`, to prove that the pool reports the failure and replaces the thread.
 */
export function crashForTest(): never {
  process.exit(70);
}
