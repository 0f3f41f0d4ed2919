import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/hash/codec.js';
import { Store } from '../../src/store/index.js';
import { ACTOR, asLines, makeHex } from './helpers.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const STORE_JS = join(HERE, '..', '..', 'dist', 'src', 'store', 'index.js');
const CHILD = join(HERE, 'import-child.mjs');
const ROWS = 400_000;

/** Everything an import could touch, so "unchanged" means unchanged. */
function snapshot(store: Store, listId: number) {
  const rows: string[] = [];
  let after = 0;
  for (;;) {
    const page = store.entries.page(listId, { after, limit: 10_000, includeRemoved: true });
    rows.push(...page.items.map((e) => `${e.id}:${bytesToHex(e.value)}:${e.removedAt}`));
    if (page.next === null) break;
    after = page.next;
  }
  return { rows, seq: store.latestChangeSeq(), audit: store.audit.page({ limit: 1000 }).items.length };
}

async function writeLines(path: string, n: number, seed: number): Promise<void> {
  const next = makeHex(seed, 32);
  const out = createWriteStream(path);
  for (let i = 0; i < n; i += 5000) {
    let chunk = '';
    for (let j = 0; j < 5000 && i + j < n; j++) chunk += `${next()}\n`;
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    out.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** Runs the child and SIGKILLs it once `ready()` holds (checked on each stdout line and every 5 ms). */
function killWhen(
  args: string[],
  ready: (phases: string[]) => boolean,
): Promise<{ killed: boolean; phases: string[] }> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const phases: string[] = [];
    let killed = false;
    const check = () => {
      if (!killed && ready(phases)) {
        killed = child.kill('SIGKILL');
      }
    };
    const timer = setInterval(check, 5);
    child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      for (const line of text.split('\n').filter(Boolean)) {
        phases.push(line === 'finished' ? line : (JSON.parse(line) as { phase: string }).phase);
      }
      check();
    });
    child.on('error', reject);
    child.on('exit', () => {
      clearInterval(timer);
      resolve({ killed, phases });
    });
  });
}

describe('kill -9 during an import', () => {
  let dir: string;
  let dbPath: string;
  let file: string;
  let before: ReturnType<typeof snapshot>;
  beforeEach(async () => {
    if (!existsSync(STORE_JS)) throw new Error(`${STORE_JS} is missing: run \`npm run build\` first`);
    dir = await mkdtemp(join(os.tmpdir(), 'hw-kill-'));
    dbPath = join(dir, 'kill.db');
    file = join(dir, 'big.txt');
    const store = Store.open(dbPath);
    const list = store.lists.create({ name: 'victim' }, ACTOR);
    const next = makeHex(99, 32);
    await store.importEntries('victim', asLines(Array.from({ length: 100 }, next)), {
      format: 'lines',
      type: 'pdq',
      actor: ACTOR,
    });
    store.entries.remove(store.entries.page(list.id).items[0]!.id, ACTOR);
    before = snapshot(store, list.id);
    store.close();
    await writeLines(file, ROWS, 1234);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const expectUnchanged = () => {
    const store = Store.open(dbPath);
    try {
      expect(store.lists.require('victim').id).toBeGreaterThan(0);
      const after = snapshot(store, store.lists.require('victim').id);
      expect(after.seq).toBe(before.seq);
      expect(after.audit).toBe(before.audit);
      expect(after.rows).toEqual(before.rows);
    } finally {
      store.close();
    }
  };

  it('while the transaction is writing pages to the WAL: the list is as it was', async () => {
    const wal = `${dbPath}-wal`;
    let walAtApply = -1;
    const walSize = () => (existsSync(wal) ? statSync(wal).size : 0);
    // A small page cache makes the transaction spill pages into the WAL long before it commits.
    const { killed, phases } = await killWhen([STORE_JS, dbPath, file, 'victim', '2048'], (p) => {
      if (!p.includes('apply')) return false;
      if (walAtApply < 0) walAtApply = walSize();
      return walSize() > walAtApply + (1 << 20);
    });
    expect(phases).not.toContain('finished');
    expect(killed).toBe(true);
    expectUnchanged();
  });

  it('while the file is being read: the list is as it was, and a new import works', async () => {
    const { killed } = await killWhen([STORE_JS, dbPath, file, 'victim', '2048'], (p) => p.includes('read'));
    expect(killed).toBe(true);
    expectUnchanged();
    const store = Store.open(dbPath);
    try {
      const s = await store.importEntries('victim', asLines([makeHex(5, 32)()]), {
        format: 'lines',
        type: 'pdq',
        actor: ACTOR,
      });
      expect(s.added).toBe(1);
      expect(store.lists.counts(store.lists.require('victim').id)[0]).toMatchObject({ active: 100 });
    } finally {
      store.close();
    }
  });
});
