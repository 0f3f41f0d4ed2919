import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from './cli.js';
import { makeTree, type Tree } from './tree.js';

let dir: string;
let tree: Tree;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-scan-'));
  tree = await makeTree(dir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines = (text: string) => text.split('\n').filter((l) => l !== '');
const rows = (file: string) =>
  lines(readFileSync(file, 'utf8')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('hashwarden scan (CLI)', () => {
  it('reports exactly the known images and their transformed copies, errors and skips the rest', async () => {
    const out = join(dir, 'full.ndjson');
    const errors = join(dir, 'full-errors.ndjson');
    const r = await cli([
      tree.root,
      '--db',
      tree.dbPath,
      '--out',
      out,
      '--errors',
      errors,
      '--sorted',
      '--no-progress',
    ]);
    expect(r.stderr).toContain('done');
    expect(r.code).toBe(1);
    const report = rows(out);
    const matched = new Map(report.map((row) => [row.path as string, row]));
    expect([...matched.keys()].sort()).toEqual([...tree.mustMatch.keys()].sort());
    for (const [path, want] of tree.mustMatch) {
      const row = matched.get(path)!;
      const matches = row.matches as {
        list: string;
        externalId: string;
        type: string;
        transform: string;
        distance: number;
        labels: unknown;
      }[];
      expect(matches.map((m) => [m.list, m.externalId, m.type])).toEqual([['known', want.externalId, 'pdq']]);
      expect(matches[0]!.labels).toEqual({ category: 'test' });
      if (want.transform === 'orig') expect(matches[0]!.distance).toBe(0);
      if (path.endsWith('rot90.png')) expect(matches[0]!.transform).not.toBe('orig');
      expect(row).toMatchObject({ matched: true, pdqQuality: expect.any(Number), size: statSync(path).size });
      expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // Sorted: rows in walk order.
    const paths = report.map((row) => row.path as string);
    expect(paths).toEqual([...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const errs = rows(errors);
    expect(errs.map((e) => e.path).sort()).toEqual([...tree.corrupt].sort());
    for (const e of errs) expect(e.code).toBe('HW_ERR_CORRUPT_IMAGE');
    expect(r.stderr).toMatch(
      new RegExp(
        `${tree.images + tree.corrupt.length + tree.notImages.length} files \\(${tree.images} images, ${tree.notImages.length} not images\\)`,
      ),
    );
  });

  it('--all writes every image once, and follows the symlink loop only when asked, without looping', async () => {
    const out = join(dir, 'all.csv');
    const r = await cli([
      tree.root,
      '--db',
      tree.dbPath,
      '--out',
      out,
      '--all',
      '--follow-symlinks',
      '--no-progress',
    ]);
    expect(r.code).toBe(1);
    const csv = lines(readFileSync(out, 'utf8'));
    expect(csv[0]).toBe(
      'path,id,size,format,width,height,pdq,pdq_quality,phash,md5,sha1,sha256,matched,list,entry_id,external_id,type,distance,transform,labels',
    );
    const paths = csv.slice(1).map((l) => l.split(',')[0]!);
    expect(new Set(paths).size).toBe(paths.length);
    expect(paths.length).toBe(tree.images);
    expect(paths.some((p) => p.includes('loop'))).toBe(false);
  });

  it('survives kill -9 and SIGINT: the resumed report equals an uninterrupted one, row for row', async () => {
    const base = [
      tree.root,
      '--db',
      tree.dbPath,
      '--sorted',
      '--all',
      '--threads',
      '1',
      '--no-progress',
      '--commit-every',
      '8',
    ];
    const ref = join(dir, 'ref.ndjson');
    const refErr = join(dir, 'ref-errors.ndjson');
    expect((await cli([...base, '--out', ref, '--errors', refErr])).code).toBe(1);

    const out = join(dir, 'resumed.ndjson');
    const err = join(dir, 'resumed-errors.ndjson');
    const ckpt = join(dir, 'scan.ckpt');
    const args = [...base, '--out', out, '--errors', err, '--checkpoint', ckpt];
    const size = () => (existsSync(out) ? statSync(out).size : 0);
    const killed = await cli(args, { when: () => size() > 20_000, signal: 'SIGKILL' });
    expect(killed.signal).toBe('SIGKILL');
    const at = size();
    const stopped = await cli(args, { when: () => size() > at + 20_000, signal: 'SIGINT' });
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toContain('interrupted');
    const last = await cli(args);
    expect(last.code).toBe(1);
    expect(last.stderr).toMatch(/resumed \(\d+ already done\)/);
    expect(await readFile(out, 'utf8')).toBe(await readFile(ref, 'utf8'));
    expect(await readFile(err, 'utf8')).toBe(await readFile(refErr, 'utf8'));
    // Rerunning a finished scan adds nothing.
    expect((await cli(args)).code).toBe(1);
    expect(await readFile(out, 'utf8')).toBe(await readFile(ref, 'utf8'));
  });

  it('refuses a checkpoint made by another scan, and exits 0 on a clean tree', async () => {
    const ckpt = join(dir, 'other.ckpt');
    const clean = join(tree.root, 'd', 'e');
    const first = await cli([
      clean,
      '--db',
      tree.dbPath,
      '--out',
      join(dir, 'e.ndjson'),
      '--checkpoint',
      ckpt,
      '--no-progress',
    ]);
    expect(first.code).toBe(0);
    const other = await cli([
      tree.root,
      '--db',
      tree.dbPath,
      '--out',
      join(dir, 'e.ndjson'),
      '--checkpoint',
      ckpt,
      '--no-progress',
    ]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('HW_ERR_CHECKPOINT_MISMATCH');
    const missing = await cli([join(dir, 'nope'), '--db', tree.dbPath, '--no-progress']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('HW_ERR_FILE_NOT_FOUND');
  });
});
