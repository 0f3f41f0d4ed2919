/**
 * A search thread of SearchPool: holds views of shared MIH bases (no copy) and answers batches of
 * queries against them. Pure computation; no I/O.
 */
import { parentPort } from 'node:worker_threads';
import { MihBase } from './mih-base.js';
import type { SearchReply, SearchRequest } from './search-protocol.js';
import type { IndexMatch } from './types.js';

const bases = new Map<number, MihBase>();

function answer(req: Extract<SearchRequest, { kind: 'search' }>): SearchReply {
  const base = bases.get(req.base);
  if (base === undefined) return { kind: 'failed', id: req.id, message: `unknown base ${req.base}` };
  const W = req.words;
  const count = req.queries.length / W;
  const parts: IndexMatch[][] = [];
  let size = count;
  for (let i = 0; i < count; i++) {
    const out: IndexMatch[] = [];
    base.search(req.queries.subarray(i * W, (i + 1) * W), req.radius, out);
    parts.push(out);
    size += 2 * out.length;
  }
  const hits = new Uint32Array(size);
  let at = 0;
  for (const out of parts) {
    hits[at++] = out.length;
    for (const h of out) {
      hits[at++] = h.id;
      hits[at++] = h.distance;
    }
  }
  return { kind: 'done', id: req.id, hits };
}

parentPort?.on('message', (req: SearchRequest) => {
  if (req.kind === 'base') {
    bases.set(req.base, MihBase.fromDescriptor(req.descriptor));
  } else if (req.kind === 'drop') {
    bases.delete(req.base);
  } else {
    let reply: SearchReply;
    try {
      reply = answer(req);
    } catch (err) {
      reply = { kind: 'failed', id: req.id, message: err instanceof Error ? err.message : String(err) };
    }
    parentPort?.postMessage(reply, reply.kind === 'done' ? [reply.hits.buffer as ArrayBuffer] : []);
  }
});
