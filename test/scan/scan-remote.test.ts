/**
 * Remote mode end to end on loopback: a minimal fastify stub of `POST /v1/lookup` (the contract of
 * the HTTP API, over a real Matcher) answers the CLI's batches; the report must equal a local scan's.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HashwardenError } from '../../src/errors.js';
import type { HashType, PdqVariant } from '../../src/hash/types.js';
import { Matcher } from '../../src/service/matcher.js';
import { Store } from '../../src/store/store.js';
import { cli } from './cli.js';
import { makeTree, type Tree } from './tree.js';

const KEY = 'test-key-0123456789';

interface LookupBody {
  hashes: { type: HashType; value: string }[];
  pdqVariant?: PdqVariant;
  lists?: string[];
  thresholds?: { pdq?: number };
}

let dir: string;
let tree: Tree;
let store: Store;
let matcher: Matcher;
let app: FastifyInstance;
let url: string;
const seen = { unauthorized: 0, requests: 0, hashes: 0, maxBatch: 0, sent503: 0, bodies: [] as string[] };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-scan-remote-'));
  tree = await makeTree(dir, 120);
  store = Store.open(tree.dbPath);
  matcher = await Matcher.open(store, { pollMs: 0 });
  app = Fastify({ bodyLimit: 1 << 20 });
  app.post<{ Body: LookupBody }>('/v1/lookup', async (req, reply) => {
    if (req.headers.authorization !== `Bearer ${KEY}`) {
      seen.unauthorized++;
      return reply.code(401).send({ error: { code: 'HW_ERR_UNAUTHORIZED', message: 'bad key' } });
    }
    seen.requests++;
    seen.bodies.push(JSON.stringify(req.body));
    // Every third request is refused once with 503, as an overloaded server would: the client retries.
    if (seen.requests % 3 === 0 && seen.sent503 < 3) {
      seen.sent503++;
      return reply
        .code(503)
        .header('retry-after', '0')
        .send({ error: { code: 'HW_ERR_OVERLOADED', message: 'busy' } });
    }
    const { hashes, pdqVariant, lists, thresholds } = req.body;
    if (!Array.isArray(hashes) || hashes.length > 1000)
      return reply.code(400).send({ error: { code: 'HW_ERR_BAD_REQUEST', message: 'hashes' } });
    seen.hashes += hashes.length;
    seen.maxBatch = Math.max(seen.maxBatch, hashes.length);
    try {
      const results = hashes.map((h) => {
        const r = matcher.lookup(h.type, h.value, {
          ...(pdqVariant !== undefined ? { pdqVariant } : {}),
          ...(lists !== undefined ? { lists } : {}),
          ...(thresholds !== undefined ? { thresholds } : {}),
        });
        return { type: h.type, value: h.value, matched: r.matched, matches: r.matches };
      });
      return { results, indexVersion: matcher.indexVersion };
    } catch (err) {
      if (err instanceof HashwardenError) return reply.code(err.status).send({ error: err.toJSON() });
      throw err;
    }
  });
  url = await app.listen({ host: '127.0.0.1', port: 0 });
  await writeFile(join(dir, 'key.txt'), `${KEY}\n`);
  await writeFile(join(dir, 'bad-key.txt'), 'nope\n');
});

afterAll(async () => {
  await app?.close();
  matcher?.close();
  store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('hashwarden scan --server', () => {
  it('gives the same report as a local scan, sending only hashes, in batches, through 503 retries', async () => {
    const common = [tree.root, '--sorted', '--all', '--no-progress'];
    const local = join(dir, 'local.ndjson');
    const remote = join(dir, 'remote.ndjson');
    expect((await cli([...common, '--db', tree.dbPath, '--out', local])).code).toBe(1);
    const r = await cli([
      ...common,
      '--server',
      url,
      '--key-file',
      join(dir, 'key.txt'),
      '--out',
      remote,
      '--batch-size',
      '240',
    ]);
    expect(r.stderr).toContain('done');
    expect(r.code).toBe(1);
    expect(await readFile(remote, 'utf8')).toBe(await readFile(local, 'utf8'));
    expect(seen.sent503).toBeGreaterThan(0);
    expect(seen.maxBatch).toBeLessThanOrEqual(240);
    expect(seen.requests).toBeGreaterThan(2);
    // Only hashes travel: no request body is anywhere near an image's size, none names a file.
    for (const b of seen.bodies) {
      expect(b).not.toContain(tree.root);
      expect(Object.keys(JSON.parse(b) as object).sort()).toEqual(['hashes', 'pdqVariant']);
    }
    const report = (await readFile(remote, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { path: string; matches: { transform: string }[] });
    const rot = report.filter((row) => row.path.endsWith('rot90.png'));
    expect(rot.length).toBeGreaterThan(0);
    for (const row of rot) expect(row.matches[0]?.transform).toMatch(/^rot(90|270)$/);
  });

  it('stops with exit 2 and HW_ERR_REMOTE_LOOKUP on a refused key, without retrying it', async () => {
    const before = seen.requests;
    const r = await cli([
      tree.root,
      '--server',
      url,
      '--key-file',
      join(dir, 'bad-key.txt'),
      '--no-progress',
      '--out',
      join(dir, 'x.ndjson'),
    ]);
    // The CLI's stderr goes with a failure: one CI run under load got exit 1 here, not reproduced since.
    expect(r.code, `stderr:\n${r.stderr}`).toBe(2);
    expect(r.stderr).toContain('HW_ERR_REMOTE_LOOKUP');
    expect(r.stderr).toContain('401');
    expect(seen.requests).toBe(before);
    // At most one refusal per request in flight (4): a 401 is never retried, queued batches are dropped.
    expect(seen.unauthorized).toBeGreaterThanOrEqual(1);
    expect(seen.unauthorized).toBeLessThanOrEqual(4);
  });
});
