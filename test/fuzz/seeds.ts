/**
 * Valid seed images for the fuzzer, made at run time with sharp (no binaries committed): several
 * encoder variants per format, so mutations reach progressive JPEG, palette/16-bit/interlaced PNG,
 * lossless/alpha/animated WebP, animated GIF and compressed TIFF code paths.
 */
import sharp, { type Sharp } from 'sharp';
import { samplePng } from '../helpers/bad-images.js';
import type { FuzzFormat } from './mutate.js';

export type Seeds = Readonly<Record<FuzzFormat, readonly Buffer[]>>;

/** Three different small frames, joined into an animated image for the GIF/WebP seeds. */
async function animated(): Promise<Sharp> {
  const frame = await samplePng(32, 24);
  const others = await Promise.all([sharp(frame).negate().toBuffer(), sharp(frame).flip().toBuffer()]);
  return sharp([frame, ...others], { join: { animated: true } });
}

/** Builds the seed set (about 25 files, each a few hundred bytes to a few KiB). */
export async function makeSeeds(): Promise<Seeds> {
  const base = await samplePng(64, 48);
  const img = () => sharp(base);
  const grey = () => sharp(base).greyscale();
  const rgba = () => sharp(base).ensureAlpha(0.5);
  const animGif = await (await animated()).gif({ delay: 100 }).toBuffer();
  return {
    jpeg: await Promise.all([
      img().jpeg({ quality: 90 }).toBuffer(),
      img().jpeg({ quality: 70, progressive: true }).toBuffer(),
      img().jpeg({ quality: 90, chromaSubsampling: '4:4:4' }).toBuffer(),
      grey().jpeg().toBuffer(),
      img()
        .withExif({ IFD0: { Copyright: 'hashwarden fuzz seed' } })
        .jpeg()
        .toBuffer(),
    ]),
    png: await Promise.all([
      Promise.resolve(base),
      img().png({ palette: true, colours: 16 }).toBuffer(),
      grey().png().toBuffer(),
      sharp(base).toColourspace('rgb16').png().toBuffer(),
      img().png({ progressive: true }).toBuffer(),
      rgba().png().toBuffer(),
    ]),
    webp: await Promise.all([
      img().webp({ quality: 80 }).toBuffer(),
      img().webp({ lossless: true }).toBuffer(),
      rgba().webp({ quality: 80 }).toBuffer(),
      (await animated()).webp({ quality: 80 }).toBuffer(),
    ]),
    gif: await Promise.all([img().gif().toBuffer(), Promise.resolve(animGif), grey().gif().toBuffer()]),
    tiff: await Promise.all([
      img().tiff({ compression: 'none' }).toBuffer(),
      img().tiff({ compression: 'lzw' }).toBuffer(),
      img().tiff({ compression: 'deflate', predictor: 'horizontal' }).toBuffer(),
      img().tiff({ compression: 'jpeg' }).toBuffer(),
      grey().tiff({ compression: 'packbits' }).toBuffer(),
    ]),
    avif: await Promise.all([
      img().avif({ quality: 50, effort: 0 }).toBuffer(),
      rgba().avif({ quality: 50, effort: 0 }).toBuffer(),
      img().avif({ lossless: true, effort: 0 }).toBuffer(),
    ]),
  };
}
