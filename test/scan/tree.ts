/**
 * A generated scan tree: distinct synthetic images in nested folders, a few "known" ones whose PDQ
 * goes into a list, transformed copies of them that must match, corrupt images, text files named
 * .jpg, and a symlink loop. Everything is made with sharp at test time from a seeded generator.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { Store } from '../../src/store/store.js';
import { HashPool } from '../../src/worker/pool.js';

export interface Tree {
  readonly root: string;
  readonly dbPath: string;
  /** Relative paths (from `root`'s parent, as the scan reports them when given `root`) that must match. */
  readonly mustMatch: ReadonlyMap<string, { externalId: string; transform?: string }>;
  readonly corrupt: readonly string[];
  readonly notImages: readonly string[];
  readonly images: number;
}

function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** A smooth random picture: a 12×12 grid of random colours upscaled, so PDQ quality is high. */
async function picture(seed: number, size = 96): Promise<Sharp> {
  const r = rng(seed * 7919 + 17);
  const px = Buffer.alloc(12 * 12 * 3);
  for (let i = 0; i < px.length; i++) px[i] = Math.floor(r() * 256);
  const png = await sharp(px, { raw: { width: 12, height: 12, channels: 3 } })
    .resize(size, size, { kernel: 'cubic' })
    .png()
    .toBuffer();
  return sharp(png);
}

/**
 * Writes the tree under `dir`/tree and a database at `dir`/hw.db with list `known` holding the PDQ
 * of every 15th image. `count` distinct images are spread over nested folders.
 */
export async function makeTree(dir: string, count = 240): Promise<Tree> {
  const root = join(dir, 'tree');
  const folders = ['', 'a', 'a/b', 'a/b/c', 'd', 'd/e'];
  for (const f of folders) await mkdir(join(root, f), { recursive: true });
  const mustMatch = new Map<string, { externalId: string; transform?: string }>();
  const known: { path: string; externalId: string }[] = [];
  let images = 0;
  for (let i = 0; i < count; i++) {
    const folder = folders[i % folders.length]!;
    const png = i % 2 === 0;
    const rel = join(folder, `img-${String(i).padStart(4, '0')}.${png ? 'png' : 'jpg'}`);
    const img = await picture(i);
    await (png ? img.png() : img.jpeg({ quality: 90 })).toFile(join(root, rel));
    images++;
    if (i % 15 === 0) {
      const externalId = `ext-${i}`;
      known.push({ path: join(root, rel), externalId });
      mustMatch.set(join(root, rel), { externalId, transform: 'orig' });
      // Transformed copies of the known image, under other names: each must match the same entry.
      const base = join(root, 'copies', `c${i}`);
      await mkdir(join(root, 'copies'), { recursive: true });
      await (await picture(i)).jpeg({ quality: 60 }).toFile(`${base}-reencoded.jpg`);
      await sharp(join(root, rel)).resize(160, 160).webp({ quality: 80 }).toFile(`${base}-resized.webp`);
      await (await picture(i)).rotate(90).png().toFile(`${base}-rot90.png`);
      mustMatch.set(`${base}-reencoded.jpg`, { externalId });
      mustMatch.set(`${base}-resized.webp`, { externalId });
      mustMatch.set(`${base}-rot90.png`, { externalId });
      images += 3;
    }
  }
  const corrupt: string[] = [];
  for (let i = 0; i < 4; i++) {
    const whole = await (await picture(10_000 + i)).jpeg().toBuffer();
    const p = join(root, 'd', `broken-${i}.jpg`);
    // A JPEG header then garbage: sniffed as an image, refused by the decoder.
    await writeFile(p, Buffer.concat([whole.subarray(0, 40), Buffer.alloc(200, 0x55)]));
    corrupt.push(p);
  }
  const notImages: string[] = [];
  for (let i = 0; i < 5; i++) {
    const p = join(root, 'a', `notes-${i}.jpg`);
    await writeFile(p, `this is text, not a picture ${i}\n`);
    notImages.push(p);
  }
  // A loop: tree/a/b/loop → tree. Not followed by default; detected with --follow-symlinks.
  await symlink(root, join(root, 'a', 'b', 'loop'));

  const dbPath = join(dir, 'hw.db');
  const store = Store.open(dbPath);
  const pool = new HashPool({ threads: 2 });
  try {
    store.lists.create({ name: 'known', source: 'test' }, 'test');
    const lines: string[] = [];
    for (const k of known) {
      const bytes = await readFile(k.path);
      const r = await pool.hash(new Uint8Array(bytes), { pdqVariants: ['reference'] });
      lines.push(
        JSON.stringify({
          type: 'pdq',
          value: r.pdq.reference!.hex,
          external_id: k.externalId,
          labels: { category: 'test' },
        }),
      );
    }
    await store.importEntries('known', lines, { format: 'ndjson', actor: 'test' });
  } finally {
    await pool.close();
    store.close();
  }
  return { root, dbPath, mustMatch, corrupt, notImages, images };
}
