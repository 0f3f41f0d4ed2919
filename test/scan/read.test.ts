import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readForScan } from '../../src/service/scan/read.js';

const MiB = 2 ** 20;
let dir: string;

/** A JPEG signature, then `size` bytes in all (the reader sniffs; it does not decode). */
function jpegLike(size: number): Buffer {
  const b = Buffer.alloc(size, 0x5a);
  b.set([0xff, 0xd8, 0xff, 0xe0]);
  return b;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-read-'));
  await writeFile(join(dir, 'small.jpg'), jpegLike(50_000));
  await writeFile(join(dir, 'large.jpg'), jpegLike(3 * MiB + 17));
  await writeFile(join(dir, 'notes.txt'), 'just text\n'.repeat(100));
  await writeFile(join(dir, 'video.bin'), Buffer.alloc(2 * MiB, 0x11));
  await writeFile(join(dir, 'doc.pdf'), Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(1000)]));
  await writeFile(join(dir, 'big.pdf'), Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(2 * MiB)]));
  await writeFile(join(dir, 'empty.jpg'), '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Files up to 1 MiB are read in one call, larger ones head first: both paths must agree.
describe('readForScan', () => {
  it.each([
    ['small.jpg', 50_000],
    ['large.jpg', 3 * MiB + 17],
  ])('returns every byte of an image (%s) in a buffer of its own', async (name, size) => {
    const r = await readForScan(join(dir, name), 20 * MiB);
    expect(r.kind).toBe('image');
    if (r.kind !== 'image') return;
    expect(r.size).toBe(size);
    expect(r.bytes.byteLength).toBe(size);
    // Its own ArrayBuffer, so the pool can move it to a worker instead of copying.
    expect(r.bytes.buffer.byteLength).toBe(size);
    expect(Buffer.from(r.bytes).equals(jpegLike(size))).toBe(true);
  });

  it.each([
    ['notes.txt', 1000],
    ['video.bin', 2 * MiB],
    ['empty.jpg', 0],
  ])('skips a file that is not an image (%s)', async (name, size) => {
    expect(await readForScan(join(dir, name), 20 * MiB)).toEqual({ kind: 'skip', size });
  });

  it.each(['doc.pdf', 'big.pdf'])('reports an image format it does not decode (%s)', async (name) => {
    const r = await readForScan(join(dir, name), 20 * MiB);
    expect(r).toMatchObject({ kind: 'error', code: 'HW_ERR_UNSUPPORTED_FORMAT' });
  });

  it('refuses an image over the byte limit, but still skips a non-image over it', async () => {
    expect(await readForScan(join(dir, 'small.jpg'), 10_000)).toMatchObject({
      kind: 'error',
      code: 'HW_ERR_TOO_LARGE',
      size: 50_000,
    });
    expect(await readForScan(join(dir, 'large.jpg'), MiB)).toMatchObject({ code: 'HW_ERR_TOO_LARGE' });
    expect(await readForScan(join(dir, 'notes.txt'), 10)).toEqual({ kind: 'skip', size: 1000 });
  });

  it('reports a missing file or a directory as an error, never throws', async () => {
    expect(await readForScan(join(dir, 'gone.jpg'), MiB)).toMatchObject({
      kind: 'error',
      code: 'HW_ERR_FILE_NOT_FOUND',
    });
    expect(await readForScan(dir, MiB)).toMatchObject({ kind: 'error', code: 'HW_ERR_FILE_NOT_FOUND' });
  });
});
