import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { fromPlain, HashwardenError } from '../errors.js';
import { workerFile } from '../worker-file.js';
import type { HashOptions, HashResult, HashTaskReply, HashTaskRequest } from './protocol.js';

export interface PoolOptions {
  /** Worker threads (default: available cores). */
  readonly threads?: number;
  /** Tasks allowed to wait for a thread; beyond it `hash` fails fast with HW_ERR_OVERLOADED. */
  readonly maxQueue?: number;
  /** Wall-clock budget of one task; past it the thread is terminated and replaced (HW_ERR_DECODE_TIMEOUT). */
  readonly taskTimeoutMs?: number;
}

export const DEFAULT_POOL_OPTIONS = Object.freeze({
  threads: availableParallelism(),
  maxQueue: 64,
  taskTimeoutMs: 15_000,
});

/** Copies into a fresh ArrayBuffer unless `bytes` owns its whole buffer, which is then moved, not copied. */
function ownBuffer(bytes: Uint8Array): ArrayBuffer {
  const b = bytes.buffer;
  if (b instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === b.byteLength) return b;
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return copy;
}

/** The hashing worker pool: decode + every hash per task, bounded queue, per-task timeout. */
export class HashPool {
  readonly #pool: Piscina<HashTaskRequest, HashTaskReply>;
  readonly #timeoutMs: number;
  readonly threads: number;
  readonly maxQueue: number;
  #closed = false;
  /** Tasks submitted and not yet settled (running + waiting). */
  #inFlight = 0;

  constructor(options: PoolOptions = {}) {
    this.threads = Math.max(1, options.threads ?? DEFAULT_POOL_OPTIONS.threads);
    this.maxQueue = Math.max(0, options.maxQueue ?? DEFAULT_POOL_OPTIONS.maxQueue);
    this.#timeoutMs = options.taskTimeoutMs ?? DEFAULT_POOL_OPTIONS.taskTimeoutMs;
    this.#pool = new Piscina({
      filename: workerFile(import.meta.url, 'task-entry.cjs'),
      minThreads: this.threads,
      maxThreads: this.threads,
      // Idle threads stay: starting one (loading sharp) costs more than keeping it.
      idleTimeout: 60_000,
    });
  }

  /**
   * Hashes one image in a worker. `bytes` is moved to the worker when it owns its whole buffer (the
   * caller must not use it afterwards), copied otherwise. Rejects with a HashwardenError.
   */
  async hash(bytes: Uint8Array, options: HashOptions = {}): Promise<HashResult> {
    if (this.#closed) throw new HashwardenError('HW_ERR_POOL_CLOSED');
    // The bound is enforced here, not by piscina's maxQueue: piscina parks tasks that carry an
    // AbortSignal (ours all do, for the timeout) in a side queue that maxQueue does not limit.
    if (this.#inFlight >= this.threads + this.maxQueue) throw new HashwardenError('HW_ERR_OVERLOADED');
    const buffer = ownBuffer(bytes);
    let reply: HashTaskReply;
    this.#inFlight++;
    try {
      reply = await this.#pool.run(
        { buffer, options },
        { transferList: [buffer], signal: AbortSignal.timeout(this.#timeoutMs) },
      );
    } catch (err) {
      throw this.#mapError(err);
    } finally {
      this.#inFlight--;
    }
    if (!reply.ok) throw fromPlain(reply.error);
    return reply.result;
  }

  #mapError(err: unknown): HashwardenError {
    const e = err as { name?: string; message?: string } | undefined;
    if (this.#closed) return new HashwardenError('HW_ERR_POOL_CLOSED');
    if (e?.name === 'AbortError' || e?.name === 'TimeoutError')
      return new HashwardenError('HW_ERR_DECODE_TIMEOUT');
    if (/queue is at limit|maxQueue/i.test(e?.message ?? '')) return new HashwardenError('HW_ERR_OVERLOADED');
    return new HashwardenError('HW_ERR_WORKER_FAILED', undefined, { cause: err });
  }

  /** Tasks waiting for a thread. */
  get queueSize(): number {
    return Math.max(0, this.#inFlight - this.threads);
  }

  /** Tasks submitted and not yet finished (running and waiting). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Threads currently alive (the pool replaces any that die). */
  get threadCount(): number {
    return this.#pool.threads.length;
  }

  /** Completed-task statistics from piscina (run time and wait time histograms). */
  get stats(): { completed: number; runTimeMeanMs: number; waitTimeMeanMs: number; utilization: number } {
    return {
      completed: this.#pool.completed,
      runTimeMeanMs: this.#pool.histogram.runTime.mean,
      waitTimeMeanMs: this.#pool.histogram.waitTime.mean,
      utilization: this.#pool.utilization,
    };
  }

  /** Kills one worker thread from inside, as a native crash would (tests only). */
  async crashOneWorkerForTest(): Promise<void> {
    try {
      await this.#pool.run({ buffer: new ArrayBuffer(0), options: {} }, { name: 'crashForTest' });
    } catch (err) {
      throw this.#mapError(err);
    }
  }

  /** Finishes queued and running tasks, then stops the threads. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  /** Stops the threads now, failing whatever is running. Idempotent. */
  async destroy(): Promise<void> {
    this.#closed = true;
    await this.#pool.destroy();
  }
}
