/**
 * kill -9 of the server during `POST /v1/lists/:list/entries` with a large NDJSON stream (issue 7,
 * phase 2). Shared by test/reliability/http-kill.test.ts and bench/reliability-http.bench.ts.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { integrityCheck } from './db-checks.js';
import { type ChildServer, sleep, startChild } from './http-harness.js';

const SEEDED = 1000;

/** Where the kill lands: mid-upload, right after the last byte is sent, 300 ms after it, or once the reply came. */
export type KillPoint = 'upload' | 'apply' | 'late' | 'replied';

export interface KillImportResult {
  point: KillPoint;
  rowsSent: number;
  before: number;
  after: number;
  /** 'before' or 'after' (all rows) are the only correct states. */
  state: 'before' | 'after' | 'partial';
  integrity: string;
  /** The restarted server answered /readyz and listed the list with the same count. */
  restartOk: boolean;
  /** The import's reply when it came back before the kill. */
  reply: number | null;
}

function hexRow(i: number, salt: number): string {
  let x = (i * 2654435761 + salt) >>> 0;
  let hex = '';
  for (let j = 0; j < 8; j++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5 + j) >>> 0;
    hex += x.toString(16).padStart(8, '0');
  }
  return hex;
}

function activeCount(db: string): number {
  const d = new Database(db, { readonly: true });
  try {
    return d
      .prepare(
        "SELECT count(*) FROM entries e JOIN lists l ON l.id = e.list_id WHERE l.name = 'victim' AND e.removed_at IS NULL",
      )
      .pluck()
      .get() as number;
  } finally {
    d.close();
  }
}

async function seed(db: string): Promise<string> {
  const { Store } = await import('../../src/store/store.js');
  const store = Store.open(db);
  try {
    store.lists.create({ name: 'victim' }, 'seed');
    await store.importEntries(
      'victim',
      Array.from({ length: SEEDED }, (_, i) => hexRow(i, 1)),
      { format: 'lines', type: 'pdq', actor: 'seed' },
    );
    return store.keys.create({ name: 'writer', scopes: ['lists:read', 'lists:write'] }, 'seed').key;
  } finally {
    store.close();
  }
}

/** Streams `rows` NDJSON rows into the child and kills it at `point`. */
async function importThenKill(
  s: ChildServer,
  key: string,
  rows: number,
  point: KillPoint,
): Promise<{ rowsSent: number; reply: number | null }> {
  const { hostname, port } = new URL(s.url);
  let rowsSent = 0;
  let reply: number | null = null;
  const req = request({
    hostname,
    port,
    method: 'POST',
    path: '/v1/lists/victim/entries',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
  });
  req.on('response', (res) => {
    reply = res.statusCode ?? null;
    res.resume();
  });
  // The connection dies with the server: that is the point.
  req.on('error', () => {});
  const batch = 2000;
  for (let i = 0; i < rows; i += batch) {
    let text = '';
    for (let j = i; j < Math.min(rows, i + batch); j++)
      text += `{"type":"pdq","value":"${hexRow(j, 7)}","external_id":"r${j}"}\n`;
    if (!req.write(text)) await new Promise((r) => req.once('drain', r));
    rowsSent = Math.min(rows, i + batch);
    if (point === 'upload' && rowsSent >= rows * 0.4) {
      s.proc.kill('SIGKILL');
      return { rowsSent, reply };
    }
  }
  req.end();
  if (point === 'late') await sleep(300);
  else if (point === 'replied') {
    const until = Date.now() + 60_000;
    while (reply === null && Date.now() < until) await sleep(10);
  } else await new Promise((r) => setImmediate(r));
  s.proc.kill('SIGKILL');
  return { rowsSent, reply };
}

/** One kill per point, each on a fresh database; the state after a restart is checked. */
export async function killDuringHttpImport(
  dir: string,
  o: { rows: number; points: readonly KillPoint[] },
): Promise<KillImportResult[]> {
  const out: KillImportResult[] = [];
  for (const point of o.points) {
    const db = join(dir, `kill-${point}.db`);
    const key = await seed(db);
    const logFile = join(dir, `kill-${point}.log`);
    const before = activeCount(db);
    const s = await startChild({ db, logFile, threads: 1, logLevel: 'warn' });
    const { rowsSent, reply } = await importThenKill(s, key, o.rows, point);
    await s.exited;
    const integrity = integrityCheck(db);
    const after = activeCount(db);
    const state = after === before ? 'before' : after === before + o.rows ? 'after' : 'partial';
    // A fresh server opens the file (recovering the WAL) and serves the same list.
    const again = await startChild({ db, logFile, threads: 1, logLevel: 'warn' });
    let restartOk = false;
    try {
      const res = await fetch(`${again.url}/v1/lists/victim?counts=true`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await res.json()) as { counts?: { type: string; active: number }[] };
      restartOk = res.status === 200 && body.counts?.find((c) => c.type === 'pdq')?.active === after;
    } finally {
      await again.stop();
    }
    out.push({ point, rowsSent, before, after, state, integrity, restartOk, reply });
  }
  return out;
}
