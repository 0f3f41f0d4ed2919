import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, sixteenToEight } from '../../src/image/decode.js';
import { sniffFormat } from '../../src/image/sniff.js';
import {
  corruptWebp,
  gifBomb,
  pngClaiming,
  sampleJpeg,
  samplePng,
  sampleWebp,
  truncatedJpeg,
} from '../helpers/bad-images.js';
import { rejectionCode } from '../helpers/errors.js';

const VECTORS = new URL('../../fixtures/pdq-vectors/', import.meta.url);

describe('sniffFormat', () => {
  it('recognises supported containers and names unsupported ones', async () => {
    expect(sniffFormat(await samplePng())).toEqual({ kind: 'supported', format: 'png' });
    expect(sniffFormat(await sampleJpeg())).toEqual({ kind: 'supported', format: 'jpeg' });
    expect(sniffFormat(await sampleWebp())).toEqual({ kind: 'supported', format: 'webp' });
    expect(sniffFormat(Buffer.from('GIF89a....'))).toEqual({ kind: 'supported', format: 'gif' });
    expect(sniffFormat(Buffer.from('BM......'))).toEqual({ kind: 'unsupported', format: 'bmp' });
    expect(sniffFormat(Buffer.from('<?xml version="1.0"?><svg></svg>'))).toEqual({
      kind: 'unsupported',
      format: 'svg',
    });
    expect(sniffFormat(Buffer.from('%PDF-1.7'))).toEqual({ kind: 'unsupported', format: 'pdf' });
    expect(sniffFormat(Buffer.from('hello, world'))).toEqual({ kind: 'unknown' });
  });
});

describe('decodeImage', () => {
  it('decodes PNG, JPEG, WebP, GIF, TIFF and AVIF to 8-bit pixels', async () => {
    const png = await samplePng(40, 30);
    const formats = {
      png,
      jpeg: await sharp(png).jpeg().toBuffer(),
      webp: await sharp(png).webp().toBuffer(),
      gif: await sharp(png).gif().toBuffer(),
      tiff: await sharp(png).tiff().toBuffer(),
      avif: await sharp(png).avif().toBuffer(),
    };
    for (const [format, bytes] of Object.entries(formats)) {
      const d = await decodeImage(bytes);
      expect(d.format).toBe(format);
      expect([d.width, d.height, d.channels]).toEqual([40, 30, 3]);
      expect(d.data.length).toBe(40 * 30 * 3);
    }
  });

  it('keeps grey images single-channel and drops alpha without compositing', async () => {
    const grey = await decodeImage(await readFile(new URL('camera.png', VECTORS)));
    expect(grey.channels).toBe(1);
    const rgba = Buffer.from([10, 20, 30, 0, 40, 50, 60, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const d = await decodeImage(png);
    expect(Array.from(d.data)).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it('rounds 16-bit samples to the nearest 8-bit level', async () => {
    expect(Array.from(sixteenToEight(Uint16Array.from([0, 128, 129, 257, 65535, 53633])))).toEqual([
      0, 0, 1, 1, 255, 209,
    ]);
    const d = await decodeImage(await readFile(new URL('synth-gray16.png', VECTORS)));
    expect(d.sourceDepth).toBe(16);
    expect(d.channels).toBe(1);
    const g8 = await decodeImage(await readFile(new URL('synth-gray8.png', VECTORS)));
    let maxDiff = 0;
    for (let i = 0; i < d.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(d.data[i]! - g8.data[i]!));
    expect(maxDiff).toBeLessThanOrEqual(1);
  });

  it('does not apply an embedded ICC profile (the reference ignores it)', async () => {
    const rocket = await readFile(new URL('rocket.jpg', VECTORS));
    const d = await decodeImage(rocket);
    const plain = await sharp(rocket, { ignoreIcc: true }).raw().toBuffer();
    expect(Buffer.from(d.data).equals(plain)).toBe(true);
  });

  it('shrinks on load only when asked, by a power of two', async () => {
    const jpeg = await sampleJpeg(1024, 800);
    const d = await decodeImage(jpeg, { shrinkOnLoadMinSide: 256 });
    expect(d.shrink).toBe(2);
    expect([d.width, d.height, d.sourceWidth, d.sourceHeight]).toEqual([512, 400, 1024, 800]);
    expect((await decodeImage(jpeg)).shrink).toBe(1);
  });

  it('gives a typed error for every bad input', async () => {
    expect(await rejectionCode(decodeImage(new Uint8Array(0)))).toBe('HW_ERR_EMPTY_INPUT');
    expect(await rejectionCode(decodeImage(Buffer.from('just some text, not an image\n')))).toBe(
      'HW_ERR_NOT_AN_IMAGE',
    );
    expect(await rejectionCode(decodeImage(Buffer.from('BM\0\0\0\0\0\0')))).toBe('HW_ERR_UNSUPPORTED_FORMAT');
    expect(await rejectionCode(decodeImage(await truncatedJpeg()))).toBe('HW_ERR_CORRUPT_IMAGE');
    expect(await rejectionCode(decodeImage(pngClaiming(100_000, 100_000)))).toBe('HW_ERR_TOO_MANY_PIXELS');
    expect(await rejectionCode(decodeImage(await gifBomb()))).toBe('HW_ERR_TOO_MANY_PIXELS');
    expect(await rejectionCode(decodeImage(await corruptWebp()))).toBe('HW_ERR_CORRUPT_IMAGE');
    expect(await rejectionCode(decodeImage(await samplePng(), { limits: { maxInputBytes: 10 } }))).toBe(
      'HW_ERR_TOO_LARGE',
    );
    expect(await rejectionCode(decodeImage(await samplePng(64, 48), { limits: { maxPixels: 1000 } }))).toBe(
      'HW_ERR_TOO_MANY_PIXELS',
    );
  });
});
