/**
 * The robustness benchmark's transforms: each takes decoded RGB pixels (decode the original once, keep
 * it) and returns the encoded bytes of a modified copy, as a platform, a re-uploader or an evader would
 * produce it. Deterministic: the same input and seed give the same bytes (the only randomness, noise,
 * comes from a seeded PRNG). Text is drawn from our own SVG, composited by sharp.
 */

import sharp, { type Sharp } from 'sharp';
import {
  addNoise,
  escapeXml,
  gammaLut,
  input,
  mapSamples,
  mulberry32,
  overlay,
  png,
  type RawImage,
  same,
  scaled,
  screenshot,
  type Transform,
} from './transform-ops.js';

export {
  mulberry32,
  type RawImage,
  seedFrom,
  type Transform,
  type TransformFamily,
} from './transform-ops.js';

/** Decodes any image sharp reads into the transforms' RGB input (alpha dropped, no profile change). */
export async function decodeForTransforms(bytes: Uint8Array): Promise<RawImage> {
  const { data, info } = await sharp(bytes)
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { width: info.width, height: info.height, channels: 3, data: new Uint8Array(data) };
}

const encode = (name: string, description: string, fn: (s: Sharp) => Sharp): Transform => ({
  name,
  family: 'encode',
  description,
  size: same,
  apply: async (src) => new Uint8Array(await fn(input(src)).toBuffer()),
});

function cropCentre(f: number): Transform {
  return {
    name: `crop_centre_${Math.round(f * 100)}`,
    family: 'crop',
    description: `keep the central ${Math.round((1 - f) * 100)} % of each side`,
    size: (w, h) => ({ width: Math.round(w * (1 - f)), height: Math.round(h * (1 - f)) }),
    apply: (src) => {
      const width = Math.round(src.width * (1 - f));
      const height = Math.round(src.height * (1 - f));
      const left = Math.floor((src.width - width) / 2);
      const top = Math.floor((src.height - height) / 2);
      return png(input(src).extract({ left, top, width, height }));
    },
  };
}

function cropSide(f: number): Transform {
  return {
    name: `crop_side_${Math.round(f * 100)}`,
    family: 'crop',
    description: `cut ${Math.round(f * 100)} % of the width off the right side`,
    size: (w, h) => ({ width: Math.round(w * (1 - f)), height: h }),
    apply: (src) =>
      png(
        input(src).extract({ left: 0, top: 0, width: Math.round(src.width * (1 - f)), height: src.height }),
      ),
  };
}

/** Borders adding `f` of the height (letterbox: top and bottom) or of each side (pad: all four). */
function border(kind: 'letterbox' | 'pad', colour: 'black' | 'white', f: number): Transform {
  const edges = (w: number, h: number) => {
    const v = Math.round(h * f);
    const hz = kind === 'pad' ? Math.round(w * f) : 0;
    return {
      top: Math.floor(v / 2),
      bottom: v - Math.floor(v / 2),
      left: Math.floor(hz / 2),
      right: hz - Math.floor(hz / 2),
    };
  };
  return {
    name: `${kind}_${colour}_${Math.round(f * 100)}`,
    family: 'pad',
    description: `${colour} ${kind === 'pad' ? 'border on all sides' : 'bars top and bottom'}, +${Math.round(f * 100)} %`,
    size: (w, h) => {
      const e = edges(w, h);
      return { width: w + e.left + e.right, height: h + e.top + e.bottom };
    },
    apply: (src) => {
      const background = colour === 'black' ? { r: 0, g: 0, b: 0 } : { r: 255, g: 255, b: 255 };
      return png(input(src).extend({ ...edges(src.width, src.height), background }));
    },
  };
}

/** Rotates by a small angle about the centre and keeps the original frame (black corners show). */
function rotateSmall(degrees: number): Transform {
  return {
    name: `rotate_${degrees}`,
    family: 'rotate',
    description: `rotate ${degrees}°, cropped back to the original frame`,
    size: same,
    apply: async (src) => {
      const r = await input(src)
        .rotate(degrees, { background: { r: 0, g: 0, b: 0 } })
        .raw()
        .toBuffer({ resolveWithObject: true });
      const left = Math.floor((r.info.width - src.width) / 2);
      const top = Math.floor((r.info.height - src.height) / 2);
      const raw = { width: r.info.width, height: r.info.height, channels: r.info.channels };
      return png(sharp(r.data, { raw }).extract({ left, top, width: src.width, height: src.height }));
    },
  };
}

/** Every transform the benchmark applies, in report order. */
export const TRANSFORMS: readonly Transform[] = Object.freeze([
  ...[90, 70, 50, 30].map((q) =>
    encode(`jpeg_q${q}`, `JPEG re-encode at quality ${q}`, (s) => s.jpeg({ quality: q })),
  ),
  encode('webp_q75', 'WebP re-encode at quality 75', (s) => s.webp({ quality: 75 })),
  ...[0.5, 0.25].map(
    (f): Transform => ({
      name: `resize_${f * 100}`,
      family: 'scale',
      description: `resize to ${f * 100} % (Lanczos)`,
      size: scaled(f),
      apply: (src) => png(input(src).resize(scaled(f)(src.width, src.height))),
    }),
  ),
  {
    name: 'squash',
    family: 'scale',
    description: 'aspect squash: height to 75 %, width kept',
    size: (w, h) => ({ width: w, height: Math.round(h * 0.75) }),
    apply: (src) => png(input(src).resize(src.width, Math.round(src.height * 0.75), { fit: 'fill' })),
  },
  {
    name: 'thumbnail_100',
    family: 'scale',
    description: 'thumbnail, longer side 100 px, JPEG quality 80',
    size: (w, h) =>
      w >= h
        ? { width: 100, height: Math.round((100 * h) / w) }
        : { width: Math.round((100 * w) / h), height: 100 },
    apply: async (src) =>
      new Uint8Array(await input(src).resize(100, 100, { fit: 'inside' }).jpeg({ quality: 80 }).toBuffer()),
  },
  ...[0.02, 0.05, 0.1, 0.2].flatMap((f) => [cropCentre(f), cropSide(f)]),
  ...(['black', 'white'] as const).flatMap((c) =>
    [0.1, 0.25].flatMap((f) => [border('letterbox', c, f), border('pad', c, f)]),
  ),
  ...[90, 180, 270].map(
    (a): Transform => ({
      name: `rot${a}`,
      family: 'dihedral',
      description: `rotate ${a}°`,
      size: (w, h) => (a === 180 ? { width: w, height: h } : { width: h, height: w }),
      apply: (src) => png(input(src).rotate(a)),
    }),
  ),
  {
    name: 'mirror',
    family: 'dihedral',
    description: 'mirror left–right',
    size: same,
    apply: (src) => png(input(src).flop()),
  },
  rotateSmall(2),
  rotateSmall(4),
  {
    name: 'greyscale',
    family: 'colour',
    description: 'greyscale',
    size: same,
    apply: (src) => png(input(src).greyscale().toColourspace('b-w')),
  },
  ...[1.3, 0.7].map(
    (b): Transform => ({
      name: `brightness_${b > 1 ? 'up' : 'down'}`,
      family: 'colour',
      description: `brightness ×${b}`,
      size: same,
      apply: (src) => png(input(src).modulate({ brightness: b })),
    }),
  ),
  ...[1.4, 0.6].map(
    (a): Transform => ({
      name: `contrast_${a > 1 ? 'up' : 'down'}`,
      family: 'colour',
      description: `contrast ×${a} about mid-grey`,
      size: same,
      apply: (src) => png(input(src).linear(a, 128 * (1 - a))),
    }),
  ),
  ...[0.6, 1.6].map(
    (g): Transform => ({
      name: `gamma_${g < 1 ? 'up' : 'down'}`,
      family: 'colour',
      description: `gamma curve v^${g}`,
      size: same,
      apply: (src) => png(input(mapSamples(src, gammaLut(g)))),
    }),
  ),
  {
    name: 'blur',
    family: 'filter',
    description: 'Gaussian blur, σ = 2',
    size: same,
    apply: (src) => png(input(src).blur(2)),
  },
  {
    name: 'sharpen',
    family: 'filter',
    description: 'unsharp mask, σ = 1.5',
    size: same,
    apply: (src) => png(input(src).sharpen({ sigma: 1.5 })),
  },
  {
    name: 'noise',
    family: 'filter',
    description: 'Gaussian noise, σ = 12 levels (seeded)',
    size: same,
    apply: (src, rng) => png(input(addNoise(src, 12, rng))),
  },
  overlay('caption', 'white caption with a black outline across the bottom', (w, h) => {
    const size = Math.max(10, Math.round(h / 9));
    return `<text x="${w / 2}" y="${h - size * 0.6}" text-anchor="middle" font-family="sans-serif" font-weight="bold" font-size="${size}" fill="white" stroke="black" stroke-width="${size / 16}">${escapeXml('WHEN YOU SEE IT & LOL')}</text>`;
  }),
  overlay('watermark', 'semi-transparent diagonal watermark text', (w, h) => {
    const size = Math.max(10, Math.round(Math.min(w, h) / 6));
    return `<text x="${w / 2}" y="${h / 2}" text-anchor="middle" dominant-baseline="middle" transform="rotate(-25 ${w / 2} ${h / 2})" font-family="sans-serif" font-weight="bold" font-size="${size}" fill="white" fill-opacity="0.45">© stockphoto</text>`;
  }),
  screenshot,
]);

/** Looks a transform up by name. */
export function transformByName(name: string): Transform {
  const t = TRANSFORMS.find((x) => x.name === name);
  if (!t) throw new Error(`unknown transform ${name}`);
  return t;
}

/**
 * Applies `transform` to an image (encoded bytes, or pixels already decoded by `decodeForTransforms`)
 * with a PRNG seeded by `seed`; returns the encoded copy.
 */
export async function applyTransform(
  source: Uint8Array | RawImage,
  transform: Transform | string,
  seed: number,
): Promise<Uint8Array> {
  const t = typeof transform === 'string' ? transformByName(transform) : transform;
  const src = source instanceof Uint8Array ? await decodeForTransforms(source) : source;
  return t.apply(src, mulberry32(seed));
}
