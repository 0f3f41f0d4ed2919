/**
 * Parsing an import on a second thread. Splitting and validating a 10M-row CSV file takes ~10 s here,
 * and staging its rows in SQLite somewhat longer; on a thread of its own, the parse runs while this
 * thread stages, instead of before it (3M-row CSV: 5.1–6.3 s to read and stage, against 7.7–10.1 s). Only byte streams (files, stdin, request bodies) go there;
 * rows come back in the compact form of parsed.ts, in file order, with bounded chunks in flight.
 */
import { Worker } from 'node:worker_threads';
import { type ErrorCode, HashwardenError } from '../../errors.js';
import type { HashType } from '../../hash/types.js';
import { workerFile } from '../../worker-file.js';
import type { ImportFormat } from './formats.js';
import { type PackedBatch, type ParsedBatch, unpackBatch } from './parsed.js';

export interface ParseThreadSetup {
  readonly format: ImportFormat;
  readonly type: HashType | undefined;
  readonly allowedTypes: readonly HashType[];
}

export type ParseThreadRequest =
  | { readonly kind: 'chunk'; readonly chunk: Uint8Array }
  | { readonly kind: 'end' };

export type ParseThreadReply =
  | { readonly kind: 'batch'; readonly ack: boolean; readonly batch: PackedBatch | null }
  | { readonly kind: 'done' }
  | { readonly kind: 'error'; readonly code: ErrorCode; readonly message: string };

/** Below this many bytes (when known) callers parse inline: starting the thread costs ~30 ms. */
export const PARSE_THREAD_MIN_BYTES = 4 * 1024 * 1024;

/** Chunks posted and not yet parsed: bounds the memory a fast reader can fill (×1 MiB file chunks). */
const MAX_IN_FLIGHT = 4;

/**
 * The parsed batches of a byte `source`, parsed on a worker thread. Errors are those of the inline
 * path: the parser's HW_ERR_* codes, and HW_ERR_FILE_NOT_FOUND when the source itself fails. Stopping
 * early (return or throw in the consumer) stops reading the source and ends the thread.
 */
export async function* parseInThread(
  source: AsyncIterable<string | Uint8Array>,
  setup: ParseThreadSetup,
): AsyncGenerator<ParsedBatch> {
  const worker = new Worker(workerFile(import.meta.url, 'parse-worker.js'), { workerData: setup });
  const replies: ParseThreadReply[] = [];
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  let slot: (() => void) | null = null;
  let inFlight = 0;
  let stopped = false;
  let finished = false;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const release = () => {
    const s = slot;
    slot = null;
    s?.();
  };
  worker.on('message', (m: ParseThreadReply) => {
    replies.push(m);
    notify();
  });
  worker.on('error', (err) => {
    failure ??= err;
    notify();
  });
  worker.on('exit', (code) => {
    if (!finished) failure ??= new HashwardenError('HW_ERR_INTERNAL', `the parse thread exited (${code})`);
    notify();
  });
  const pump = async () => {
    try {
      for await (const chunk of source) {
        if (stopped) return;
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
        // A copy the thread owns (stream chunks may share a pooled buffer), moved, not cloned.
        const own = new Uint8Array(bytes.length);
        own.set(bytes);
        inFlight++;
        worker.postMessage({ kind: 'chunk', chunk: own } satisfies ParseThreadRequest, [own.buffer]);
        while (inFlight >= MAX_IN_FLIGHT && !stopped) await new Promise<void>((r) => (slot = r));
      }
      if (!stopped) worker.postMessage({ kind: 'end' } satisfies ParseThreadRequest);
    } catch (err) {
      failure ??=
        err instanceof HashwardenError
          ? err
          : new HashwardenError(
              'HW_ERR_FILE_NOT_FOUND',
              `cannot read the input: ${err instanceof Error ? err.message : String(err)}`,
              { cause: err },
            );
      notify();
    }
  };
  void pump();
  try {
    for (;;) {
      while (replies.length === 0 && failure === null) await new Promise<void>((r) => (wake = r));
      const m = replies.shift();
      if (m === undefined) throw failure!;
      if (m.kind === 'error') throw new HashwardenError(m.code, m.message);
      if (m.kind === 'done') {
        finished = true;
        return;
      }
      if (m.ack) {
        inFlight--;
        release();
      }
      if (m.batch !== null) yield unpackBatch(m.batch);
    }
  } finally {
    stopped = true;
    finished = true;
    release();
    void worker.terminate();
  }
}
