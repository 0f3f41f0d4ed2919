/**
 * Messages between SearchPool (src/index/search-pool.ts) and its worker threads (search-worker.ts).
 */
import type { SharedBaseDescriptor } from './mih-base.js';

/** Pool → worker. Messages are handled in order, so a `drop` never overtakes a search sent before it. */
export type SearchRequest =
  | { readonly kind: 'base'; readonly base: number; readonly descriptor: SharedBaseDescriptor }
  | { readonly kind: 'drop'; readonly base: number }
  | {
      readonly kind: 'search';
      readonly id: number;
      readonly base: number;
      readonly radius: number;
      /** Number of 32-bit words a query takes. */
      readonly words: number;
      /** The queries, flat (count · words), in the index's word order. */
      readonly queries: Uint32Array;
    };

/**
 * Worker → pool. `hits` is flat: for each query in order, its hit count, then (id, distance) pairs.
 */
export type SearchReply =
  | { readonly kind: 'done'; readonly id: number; readonly hits: Uint32Array }
  | { readonly kind: 'failed'; readonly id: number; readonly message: string };
