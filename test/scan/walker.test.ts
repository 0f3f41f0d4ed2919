import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cheapCount, type ScanItem, type WalkIssue, walkInputs } from '../../src/service/scan/walker.js';
import { mapOrdered, mapUnordered } from '../../src/service/scan/window.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-walk-'));
  for (const d of ['t/b', 't/a/x', 'outside']) await mkdir(join(dir, d), { recursive: true });
  for (const f of ['t/z.jpg', 't/b/2.png', 't/b/10.png', 't/a/x/deep.gif', 'outside/secret.jpg'])
    await writeFile(join(dir, f), f);
  await symlink(join(dir, 't'), join(dir, 't', 'a', 'loop'));
  await symlink(join(dir, 'outside'), join(dir, 't', 'out'));
  await symlink(join(dir, 'nowhere'), join(dir, 't', 'dangling'));
  await writeFile(
    join(dir, 'manifest.ndjson'),
    `${join(dir, 't/z.jpg')}\n\n{"path": "${join(dir, 't/b/2.png')}", "id": 7}\n{"nope": 1}\n`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function collect(roots: string[], options: { follow?: boolean; manifest?: string } = {}) {
  const items: ScanItem[] = [];
  const issues: WalkIssue[] = [];
  const skips: string[] = [];
  for await (const item of walkInputs(roots, options.manifest, {
    sorted: true,
    followSymlinks: options.follow === true,
    onIssue: (i) => issues.push(i),
    onSkip: (p, why) => skips.push(`${why}:${p.slice(dir.length + 1)}`),
  }))
    items.push(item);
  return { paths: items.map((i) => i.path.slice(dir.length + 1)), items, issues, skips };
}

describe('walkInputs', () => {
  it('walks in sorted order and does not follow links inside the tree by default', async () => {
    const r = await collect([join(dir, 't')]);
    expect(r.paths).toEqual(['t/a/x/deep.gif', 't/b/10.png', 't/b/2.png', 't/z.jpg']);
    expect(r.skips.sort()).toEqual(['symlink:t/a/loop', 'symlink:t/dangling', 'symlink:t/out']);
    expect(r.issues).toEqual([]);
  });

  it('follows links when asked, once per directory, never looping; dangling links are issues', async () => {
    const r = await collect([join(dir, 't')], { follow: true });
    expect(r.paths).toEqual(['t/a/x/deep.gif', 't/b/10.png', 't/b/2.png', 't/out/secret.jpg', 't/z.jpg']);
    expect(r.skips).toEqual(['loop:t/a/loop']);
    expect(r.issues.map((i) => i.path.slice(dir.length + 1))).toEqual(['t/dangling']);
  });

  it('reads manifests (plain and NDJSON with ids), reporting bad lines and missing roots', async () => {
    const r = await collect([join(dir, 'missing')], { manifest: join(dir, 'manifest.ndjson') });
    expect(r.items.map((i) => [i.path.slice(dir.length + 1), i.id])).toEqual([
      ['t/z.jpg', undefined],
      ['t/b/2.png', '7'],
    ]);
    expect(r.issues.map((i) => i.code)).toEqual(['HW_ERR_FILE_NOT_FOUND', 'HW_ERR_BAD_REQUEST']);
    expect(r.issues[1]!.path).toMatch(/manifest\.ndjson:4$/);
    expect(await cheapCount([join(dir, 't/z.jpg')], join(dir, 'manifest.ndjson'))).toBe(4);
    expect(await cheapCount([join(dir, 't')], undefined)).toBeUndefined();
  });
});

describe('bounded windows', () => {
  const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
  it('keeps order, or yields by completion, with at most `window` in flight', async () => {
    let running = 0;
    let most = 0;
    const fn = async (i: number) => {
      running++;
      most = Math.max(most, running);
      await delay(i % 3 === 0 ? 15 : 1);
      running--;
      return i;
    };
    const ordered: number[] = [];
    for await (const v of mapOrdered(
      Array.from({ length: 30 }, (_, i) => i),
      4,
      fn,
    ))
      ordered.push(v);
    expect(ordered).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(most).toBeLessThanOrEqual(4);
    most = 0;
    const unordered: number[] = [];
    for await (const v of mapUnordered(
      Array.from({ length: 30 }, (_, i) => i),
      4,
      fn,
    ))
      unordered.push(v);
    expect([...unordered].sort((a, b) => a - b)).toEqual(ordered);
    expect(unordered).not.toEqual(ordered);
    expect(most).toBeLessThanOrEqual(4);
  });
});
