/**
 * The parse thread of an import (parse-thread.ts): splits the source's byte chunks into lines and parses
 * them, so the importing thread only stages rows. One reply per chunk, in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HashwardenError } from '../../errors.js';
import { createParser } from './formats.js';
import { LineSplitter } from './lines.js';
import type { ParseThreadReply, ParseThreadRequest, ParseThreadSetup } from './parse-thread.js';
import { packBatch, parseBatch } from './parsed.js';

const setup = workerData as ParseThreadSetup;
const parse = createParser(setup.format, { type: setup.type, allowedTypes: setup.allowedTypes });
const splitter = new LineSplitter();

function post(reply: ParseThreadReply): void {
  const b = reply.kind === 'batch' ? reply.batch : null;
  parentPort?.postMessage(reply, b === null ? [] : ([b.types.buffer, b.ends.buffer] as ArrayBuffer[]));
}

parentPort?.on('message', (req: ParseThreadRequest) => {
  try {
    const lines = req.kind === 'chunk' ? splitter.push(req.chunk) : splitter.end();
    const batch = lines === null ? null : packBatch(parseBatch(lines, parse));
    post({ kind: 'batch', ack: req.kind === 'chunk', batch });
    if (req.kind === 'end') post({ kind: 'done' });
  } catch (err) {
    const e = err instanceof HashwardenError ? err : new HashwardenError('HW_ERR_INTERNAL', String(err));
    post({ kind: 'error', code: e.code, message: e.message });
  }
});
