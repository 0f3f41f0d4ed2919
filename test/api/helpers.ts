/** A test app over a temp database, with one key per scope; `close()` releases everything. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import sharp from 'sharp';
import { buildApp } from '../../src/api/app.js';
import { type Config, loadConfig } from '../../src/config.js';
import { Matcher } from '../../src/service/matcher.js';
import type { Scope } from '../../src/store/keys.js';
import { Store } from '../../src/store/store.js';
import { HashPool } from '../../src/worker/pool.js';

export interface TestApp {
  readonly app: FastifyInstance;
  readonly store: Store;
  readonly matcher: Matcher;
  readonly pool: HashPool;
  readonly config: Config;
  readonly dir: string;
  /** Keys by name: admin, match, read, write, and `restricted` (match + lists:read + lists:write on list "mine"). */
  readonly keys: Record<'admin' | 'match' | 'read' | 'write' | 'restricted', string>;
  close(): Promise<void>;
}

/** Builds an app with a 1-thread pool, polling off (routes sync after writes). */
export async function testApp(
  overrides: Partial<Record<keyof Config, unknown>> = {},
  poolOptions: { threads?: number; maxQueue?: number } = {},
): Promise<TestApp> {
  const dir = await mkdtemp(join(tmpdir(), 'hw-api-'));
  const config = loadConfig({ dbPath: join(dir, 'hw.db'), threads: 1, ...overrides }, {});
  const store = Store.open(config.dbPath);
  const mk = (name: string, scopes: Scope[], lists: string[] | null = null) =>
    store.keys.create({ name, scopes, lists }, 'test').key;
  const keys = {
    admin: mk('admin', ['admin']),
    match: mk('matcher', ['match']),
    read: mk('reader', ['lists:read']),
    write: mk('writer', ['lists:read', 'lists:write']),
    restricted: mk('restricted', ['match', 'lists:read', 'lists:write'], ['mine']),
  };
  const matcher = await Matcher.open(store, { pollMs: 0 });
  const pool = new HashPool({ threads: poolOptions.threads ?? 1, maxQueue: poolOptions.maxQueue ?? 8 });
  const app = await buildApp({ config, store, matcher, pool });
  return {
    app,
    store,
    matcher,
    pool,
    config,
    dir,
    keys,
    async close() {
      await app.close();
      await pool.close();
      matcher.close();
      store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Authorization header for a key. */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** The error code of an error reply. */
export function codeOf(res: LightMyRequestResponse | { json(): unknown }): string | undefined {
  return (res.json() as { error?: { code?: string } }).error?.code;
}

/** A deterministic textured image (blocks of seeded noise): its PDQ quality is high. */
export async function texturedJpeg(seed = 1, size = 256): Promise<Buffer> {
  const px = Buffer.alloc(size * size * 3);
  let x = seed * 2654435761;
  const rand = () => {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    return x & 255;
  };
  const block = 16;
  for (let by = 0; by < size; by += block) {
    for (let bx = 0; bx < size; bx += block) {
      const [r, g, b] = [rand(), rand(), rand()];
      for (let y = by; y < by + block; y++) {
        for (let xx = bx; xx < bx + block; xx++) {
          const i = 3 * (y * size + xx);
          px[i] = r;
          px[i + 1] = g;
          px[i + 2] = b;
        }
      }
    }
  }
  return sharp(px, { raw: { width: size, height: size, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

/** A multipart/form-data body with one file field and some text fields. */
export function multipartBody(
  file: { name: string; bytes: Buffer; type?: string },
  fields: Record<string, string> = {},
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----hw${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="x.jpg"\r\n` +
        `Content-Type: ${file.type ?? 'image/jpeg'}\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return {
    payload: Buffer.concat(parts),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
