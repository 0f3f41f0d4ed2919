import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { hammingBytes } from '../../src/hash/distance.js';
import { computePdq, type PdqResult } from '../../src/hash/pdq.js';
import type { DihedralName } from '../../src/hash/types.js';
import { decodeImage } from '../../src/image/decode.js';

/**
 * Meta's own PDQ test images (a subset of ThreatExchange `pdq/data/`), kept outside the repository at
 * `../shared/pdq-vectors/threatexchange` relative to the repo root; see its ORIGIN.md. `expected*.csv` are
 * the C++ reference's output (ImageMagick decoder); `upstream-wasm-PDQMD5TestData.csv` is upstream's own.
 */
const REPO_ROOT = join(import.meta.dirname, '..', '..');
const TX = join(REPO_ROOT, '..', 'shared', 'pdq-vectors', 'threatexchange');
const exists = existsSync(join(TX, 'expected.csv'));

function readCsv(file: string): Record<string, string>[] {
  return parse(readFileSync(join(TX, file), 'utf8'), { columns: true, skip_empty_lines: true });
}

function hexDistance(a: string, b: string): number {
  return hammingBytes(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));
}

/** JPEG decoders may legitimately differ by a level here and there; PNGs must match exactly. */
function limitFor(file: string): number {
  return file.endsWith('.png') ? 0 : 2;
}

/** The reference transform each `dih/bridge-N-*.jpg` file was made with. */
const BRIDGE_TRANSFORMS: Record<string, DihedralName> = {
  'bridge-1-original.jpg': 'orig',
  'bridge-2-rotate-90.jpg': 'rot90',
  'bridge-3-rotate-180.jpg': 'rot180',
  'bridge-4-rotate-270.jpg': 'rot270',
  'bridge-5-flipx.jpg': 'flipx',
  'bridge-6-flipy.jpg': 'flipy',
  'bridge-7-flip-plus-1.jpg': 'flipplus1',
  'bridge-8-flip-minus-1.jpg': 'flipminus1',
};

describe.skipIf(!exists)('conformance with the C++ reference on ThreatExchange test images', () => {
  const expected = exists ? readCsv('expected.csv') : [];
  const dihedral = exists ? readCsv('expected-dihedral.csv') : [];
  const results = new Map<string, PdqResult>();

  beforeAll(async () => {
    for (const row of expected) {
      const px = await decodeImage(readFileSync(join(TX, row.file!)));
      results.set(row.file!, computePdq(px, { dihedral: true }));
    }
    console.log('PDQ vs reference on ThreatExchange images (Hamming distance, max over dihedrals, quality)');
    console.table(
      expected.map((row) => {
        const r = results.get(row.file!)!;
        const dih = dihedral
          .filter((d) => d.file === row.file)
          .map((d) => hexDistance(r.dihedral![d.transform_name as DihedralName], d.pdq_hex!));
        return {
          file: row.file,
          distance: hexDistance(r.hex, row.pdq_hex!),
          dihedralMax: Math.max(...dih),
          quality: `${r.quality}/${row.quality}`,
        };
      }),
    );
  });

  it('has the expected files', () => {
    expect(expected.length).toBeGreaterThan(20);
    expect(dihedral.length).toBe(expected.length * 8);
  });

  for (const row of expected) {
    it(`${row.file}: hash, quality and dihedrals`, () => {
      const r = results.get(row.file!)!;
      const limit = limitFor(row.file!);
      expect(r.quality).toBe(Number(row.quality));
      expect(hexDistance(r.hex, row.pdq_hex!)).toBeLessThanOrEqual(limit);
      const dih = dihedral.filter((d) => d.file === row.file);
      expect(dih.length).toBe(8);
      for (const d of dih) {
        const ours = r.dihedral![d.transform_name as DihedralName];
        expect(hexDistance(ours, d.pdq_hex!), d.transform_name).toBeLessThanOrEqual(limit);
      }
    });
  }

  it("agrees with upstream's WASM test data (PDQ rows whose image is present)", () => {
    const rows = readCsv('upstream-wasm-PDQMD5TestData.csv')
      .map((r) => ({ file: (r.FilePath ?? '').replace(/^(\.\.\/)+data\//, ''), hash: r.Hash ?? '' }))
      .filter((r) => r.hash.length === 64 && existsSync(join(TX, r.file)));
    expect(rows.length).toBeGreaterThanOrEqual(14);
    for (const r of rows) {
      // sharpen-a-lot.jpg is 2 bits off there: upstream's WASM build decodes that JPEG slightly differently.
      expect(hexDistance(results.get(r.file)!.hex, r.hash), r.file).toBeLessThanOrEqual(2);
    }
  });

  it('maps each rotated or flipped bridge photo near the matching dihedral hash of the original', () => {
    const orig = results.get('reg-test-input/dih/bridge-1-original.jpg')!.dihedral!;
    for (const [file, name] of Object.entries(BRIDGE_TRANSFORMS)) {
      const hex = results.get(`reg-test-input/dih/${file}`)!.hex;
      expect(hexDistance(hex, orig[name]), file).toBeLessThanOrEqual(31);
      for (const [other, h] of Object.entries(orig)) {
        if (other !== name) expect(hexDistance(hex, h), `${file} vs ${other}`).toBeGreaterThan(64);
      }
    }
  });
});
