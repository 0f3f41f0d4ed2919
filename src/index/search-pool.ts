/**
 * Index searches on worker threads. A MIH base built on shared memory (IndexOptions.shared) is handed
 * to each thread once, as views of the same SharedArrayBuffers; a batch of queries (a /v1/lookup body)
 * is then split across the threads, so one request's searches use every core instead of queueing on
 * the event loop. Tombstones written by the owning thread are seen by the workers at once.
 *
 * Measured on 1M PDQ entries (fast tables, random queries, 2 cores): one thread ~14–17k searches/s,
 * two worker threads 24–36k/s together.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerFile } from '../worker-file.js';
import type { MihBase, SharedBaseDescriptor } from './mih-base.js';
import type { SearchReply, SearchRequest } from './search-protocol.js';
import type { IndexMatch } from './types.js';

export interface SearchPoolOptions {
  /** Worker threads (default: the available cores, at most 4). */
  readonly threads?: number;
  /** Fewest queries worth sending to the threads; smaller batches are searched inline (default 8). */
  readonly minBatch?: number;
  /**
   * Fewest queries a batch gives each thread (default MIN_PER_THREAD): a batch smaller than twice this
   * goes to one thread whole.
   */
  readonly minPerThread?: number;
}

/**
 * Default fewest queries a thread is given from one batch. Each message wakes a sleeping thread, which
 * costs the sending thread time on these VMs: 17–36 µs a message in an echo test, and in a sampling
 * profile of a scan, postMessage took 0.23 ms a file when its 8 dihedral searches went out in two
 * halves, 0.16 ms in one. An image's 8–16 searches therefore go to one thread; a /v1/lookup batch of
 * 100 is still split.
 */
export const MIN_PER_THREAD = 16;

/** Bases a thread keeps views of (one per hash type, plus the previous one during a swap). */
const BASES_PER_THREAD = 4;

interface Waiter {
  readonly resolve: (hits: Uint32Array) => void;
  readonly reject: (err: Error) => void;
}

interface Lane {
  worker: Worker;
  /** Requests sent and not answered. */
  pending: Map<number, Waiter>;
  /** Base ids this thread holds, least recently used first. */
  bases: number[];
}

export class SearchPool {
  readonly threads: number;
  readonly minBatch: number;
  readonly minPerThread: number;
  readonly #lanes: Lane[] = [];
  readonly #baseIds = new WeakMap<MihBase, number>();
  #nextBase = 1;
  #nextRequest = 1;
  #closed = false;

  constructor(options: SearchPoolOptions = {}) {
    this.threads = Math.max(1, Math.floor(options.threads ?? Math.min(availableParallelism(), 4)));
    this.minBatch = Math.max(1, options.minBatch ?? 8);
    this.minPerThread = Math.max(1, options.minPerThread ?? MIN_PER_THREAD);
    for (let i = 0; i < this.threads; i++) this.#lanes.push(this.#spawn());
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Every live entry of `base` within `radius` of each query (32-bit words in the index's order), per
   * query in order. The base must have been built shared (`base.descriptor()` not null). Rejects if a
   * thread fails or the pool closes; callers fall back to searching inline.
   */
  async search(base: MihBase, queries: readonly Uint32Array[], radius: number): Promise<IndexMatch[][]> {
    if (this.#closed) throw new Error('the search pool is closed');
    const descriptor = base.descriptor();
    if (descriptor === null) throw new Error('the index base is not on shared memory');
    if (queries.length === 0) return [];
    const W = queries[0]!.length;
    let id = this.#baseIds.get(base);
    if (id === undefined) {
      id = this.#nextBase++;
      this.#baseIds.set(base, id);
    }
    const parts = Math.max(1, Math.min(this.threads, Math.floor(queries.length / this.minPerThread)));
    const per = Math.ceil(queries.length / parts);
    const jobs: Promise<Uint32Array>[] = [];
    for (let from = 0; from < queries.length; from += per) {
      const chunk = queries.slice(from, from + per);
      const flat = new Uint32Array(chunk.length * W);
      chunk.forEach((q, i) => {
        flat.set(q, i * W);
      });
      jobs.push(this.#send(this.#leastBusy(), id, descriptor, radius, W, flat));
    }
    const out: IndexMatch[][] = [];
    for (const hits of await Promise.all(jobs)) {
      for (let at = 0; at < hits.length; ) {
        const count = hits[at++]!;
        const list: IndexMatch[] = [];
        for (let k = 0; k < count; k++, at += 2) list.push({ id: hits[at]!, distance: hits[at + 1]! });
        out.push(list);
      }
    }
    return out;
  }

  /** Stops the threads; pending searches reject. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const lanes = this.#lanes.splice(0);
    for (const lane of lanes) this.#fail(lane, new Error('the search pool is closed'));
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  #spawn(): Lane {
    const worker = new Worker(workerFile(import.meta.url, 'search-worker.js'));
    const lane: Lane = { worker, pending: new Map(), bases: [] };
    worker.unref();
    worker.on('message', (reply: SearchReply) => {
      const waiter = lane.pending.get(reply.id);
      if (waiter === undefined) return;
      lane.pending.delete(reply.id);
      if (lane.pending.size === 0) worker.unref();
      if (reply.kind === 'done') waiter.resolve(reply.hits);
      else waiter.reject(new Error(`search thread: ${reply.message}`));
    });
    const replace = (err: Error) => {
      if (this.#closed) return;
      const at = this.#lanes.indexOf(lane);
      if (at < 0) return;
      this.#fail(lane, err);
      void worker.terminate();
      this.#lanes[at] = this.#spawn();
    };
    worker.on('error', (err) => replace(err));
    worker.on('exit', (code) => replace(new Error(`search thread exited with code ${code}`)));
    return lane;
  }

  #fail(lane: Lane, err: Error): void {
    for (const waiter of lane.pending.values()) waiter.reject(err);
    lane.pending.clear();
  }

  #leastBusy(): Lane {
    let best = this.#lanes[0]!;
    for (const lane of this.#lanes) if (lane.pending.size < best.pending.size) best = lane;
    return best;
  }

  #send(
    lane: Lane,
    base: number,
    descriptor: SharedBaseDescriptor,
    radius: number,
    words: number,
    queries: Uint32Array,
  ): Promise<Uint32Array> {
    const post = (msg: SearchRequest, transfer: ArrayBuffer[] = []) => lane.worker.postMessage(msg, transfer);
    const held = lane.bases.indexOf(base);
    if (held >= 0) lane.bases.splice(held, 1);
    else post({ kind: 'base', base, descriptor });
    lane.bases.push(base);
    // Messages are handled in order: searches already sent on an evicted base finish before its drop.
    while (lane.bases.length > BASES_PER_THREAD) post({ kind: 'drop', base: lane.bases.shift()! });
    const id = this.#nextRequest++;
    return new Promise<Uint32Array>((resolve, reject) => {
      if (lane.pending.size === 0) lane.worker.ref();
      lane.pending.set(id, { resolve, reject });
      post({ kind: 'search', id, base, radius, words, queries }, [queries.buffer as ArrayBuffer]);
    });
  }
}
