/**
 * Building blocks of the robustness transforms (bench/lib/transforms.ts): the types, the seeded PRNG,
 * pixel helpers, and the overlays drawn from our own SVG (caption, watermark, screenshot frame).
 */
import sharp, { type Sharp } from 'sharp';

/** Decoded 8-bit RGB pixels, the transforms' input. */
export interface RawImage {
  readonly width: number;
  readonly height: number;
  readonly channels: 3;
  readonly data: Uint8Array;
}

/** Groups of transforms, one plot and one table each in the report. */
export type TransformFamily =
  | 'encode'
  | 'scale'
  | 'crop'
  | 'pad'
  | 'dihedral'
  | 'rotate'
  | 'colour'
  | 'filter'
  | 'overlay';

/** One transform: a name for the report, the output size it promises, and the operation. */
export interface Transform {
  readonly name: string;
  readonly family: TransformFamily;
  readonly description: string;
  /** Size of the output for an input of `width`×`height` (what the tests check against). */
  readonly size: (width: number, height: number) => { width: number; height: number };
  /** Encodes a transformed copy of `src`; `rng` yields uniform numbers in [0, 1). */
  readonly apply: (src: RawImage, rng: () => number) => Promise<Uint8Array>;
}

/** mulberry32: a tiny, fast, seedable PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 32-bit seed from a string (FNV-1a), so each (image, transform) pair gets its own stream. */
export function seedFrom(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A sharp pipeline over raw pixels. */
export const input = (src: RawImage) =>
  sharp(src.data, { raw: { width: src.width, height: src.height, channels: src.channels } });

/** Lossless output for the transforms that are not about encoding, so only the transform is measured. */
export const png = (s: Sharp) =>
  s
    .png({ compressionLevel: 1 })
    .toBuffer()
    .then((b: Buffer) => new Uint8Array(b));

/** Output size of the transforms that keep the frame. */
export const same = (width: number, height: number) => ({ width, height });
/** Output size of a resize by `f` (rounded, at least 1 px). */
export const scaled = (f: number) => (w: number, h: number) => ({
  width: Math.max(1, Math.round(w * f)),
  height: Math.max(1, Math.round(h * f)),
});

/** Applies a per-sample lookup table (gamma, etc.) to raw pixels. */
export function mapSamples(src: RawImage, lut: Uint8Array): RawImage {
  const out = new Uint8Array(src.data.length);
  for (let i = 0; i < out.length; i++) out[i] = lut[src.data[i]!]!;
  return { ...src, data: out };
}

/** Lookup table for the gamma curve v ↦ 255·(v/255)^g. */
export function gammaLut(g: number): Uint8Array {
  const lut = new Uint8Array(256);
  for (let v = 0; v < 256; v++) lut[v] = Math.round(255 * (v / 255) ** g);
  return lut;
}

/** Adds Gaussian noise (Box–Muller from the seeded PRNG), clamped to 0..255. */
export function addNoise(src: RawImage, sigma: number, rng: () => number): RawImage {
  const out = new Uint8Array(src.data.length);
  for (let i = 0; i < out.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - rng()));
    const a = 2 * Math.PI * rng();
    out[i] = Math.min(255, Math.max(0, Math.round(src.data[i]! + sigma * r * Math.cos(a))));
    if (i + 1 < out.length) {
      out[i + 1] = Math.min(255, Math.max(0, Math.round(src.data[i + 1]! + sigma * r * Math.sin(a))));
    }
  }
  return { ...src, data: out };
}

/** Escapes text for an SVG text node. */
export const escapeXml = (s: string) =>
  s.replace(/[<>&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;'));

/** An SVG canvas of `w`×`h` around `body`, for sharp to rasterise. */
export function svgText(w: number, h: number, body: string): Buffer {
  return Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}">${body}</svg>`);
}

/** A transform that composites our own SVG (`body`) over the image, frame kept. */
export function overlay(
  name: string,
  description: string,
  body: (w: number, h: number) => string,
): Transform {
  return {
    name,
    family: 'overlay',
    description,
    size: same,
    apply: (src) =>
      png(
        input(src)
          .composite([{ input: svgText(src.width, src.height, body(src.width, src.height)) }])
          .removeAlpha(),
      ),
  };
}

/** The image on a larger light canvas under a dark title bar and above a toolbar, as a screenshot. */
export const screenshot: Transform = {
  name: 'screenshot',
  family: 'overlay',
  description: 'placed on a larger canvas with UI-like bars (title bar, toolbar, margins)',
  size: (w, h) => {
    const g = screenshotGeometry(w, h);
    return { width: g.width, height: g.height };
  },
  apply: async (src) => {
    const g = screenshotGeometry(src.width, src.height);
    const u = Math.max(4, Math.round(g.bar / 3));
    const ui = svgText(
      g.width,
      g.height,
      `<rect width="${g.width}" height="${g.height}" fill="#eceff1"/>` +
        `<rect width="${g.width}" height="${g.bar}" fill="#263238"/>` +
        ['#ff5f56', '#ffbd2e', '#27c93f']
          .map((c, i) => `<circle cx="${u + i * 1.5 * u}" cy="${g.bar / 2}" r="${u / 2.5}" fill="${c}"/>`)
          .join('') +
        `<rect x="${6 * u}" y="${u}" width="${g.width - 8 * u}" height="${u}" rx="${u / 2}" fill="#455a64"/>` +
        `<text x="${6.5 * u}" y="${1.85 * u}" font-family="sans-serif" font-size="${0.8 * u}" fill="#cfd8dc">https://example.org/photo/12345</text>` +
        `<rect y="${g.height - g.bar}" width="${g.width}" height="${g.bar}" fill="#ffffff"/>` +
        `<text x="${u}" y="${g.height - g.bar / 2 + u / 3}" font-family="sans-serif" font-size="${u}" fill="#37474f">♥ 1,024   ↻ Share   ⋯ More</text>`,
    );
    const photo = await png(input(src));
    return png(
      sharp(ui)
        .composite([{ input: Buffer.from(photo), left: g.margin, top: g.bar + g.margin }])
        .removeAlpha(),
    );
  },
};

/** Bar height, margin and canvas size of the screenshot frame around a `w`×`h` image. */
export function screenshotGeometry(w: number, h: number) {
  const bar = Math.max(12, Math.round(h * 0.1));
  const margin = Math.max(4, Math.round(w * 0.06));
  return { bar, margin, width: w + 2 * margin, height: h + 2 * bar + 2 * margin };
}
