import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/image/decode.js';
import { trimBorders } from '../../src/image/trim.js';
import type { Pixels } from '../../src/image/types.js';

/** Seeded textured RGB content (no flat rows or columns anywhere). */
function texture(width: number, height: number, seed = 1): Pixels {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      const o = (y * width + x) * 3;
      data[o] = (x * 7 + (s >>> 24)) & 255;
      data[o + 1] = (y * 5 + (s >>> 16)) & 255;
      data[o + 2] = ((x + y) * 3) & 255;
    }
  }
  return { width, height, channels: 3, data };
}

/** `content` placed on a canvas of one colour with the given margins. */
function framed(
  content: Pixels,
  m: { top: number; bottom: number; left: number; right: number },
  value: number,
): Pixels {
  const width = content.width + m.left + m.right;
  const height = content.height + m.top + m.bottom;
  const data = new Uint8Array(width * height * 3).fill(value);
  for (let y = 0; y < content.height; y++) {
    const src = content.data.subarray(y * content.width * 3, (y + 1) * content.width * 3);
    data.set(src, ((y + m.top) * width + m.left) * 3);
  }
  return { width, height, channels: 3, data };
}

describe('trimBorders', () => {
  it('finds a black letterbox exactly and returns the content pixels', () => {
    const content = texture(200, 120);
    const r = trimBorders(framed(content, { top: 20, bottom: 20, left: 0, right: 0 }, 0));
    expect(r?.box).toEqual({ left: 0, top: 20, width: 200, height: 120 });
    expect(r?.pixels.data).toEqual(content.data);
  });

  it('finds a white border on all four sides', () => {
    const r = trimBorders(framed(texture(150, 100), { top: 12, bottom: 13, left: 30, right: 31 }, 255));
    expect(r?.box).toEqual({ left: 30, top: 12, width: 150, height: 100 });
  });

  it('finds a letterbox through JPEG noise, to within a few pixels', async () => {
    const p = framed(texture(240, 160, 7), { top: 32, bottom: 32, left: 0, right: 0 }, 0);
    const jpeg = await sharp(p.data, { raw: { width: p.width, height: p.height, channels: 3 } })
      .jpeg({ quality: 60 })
      .toBuffer();
    const r = trimBorders(await decodeImage(jpeg));
    expect(r).not.toBeNull();
    expect(Math.abs(r!.box.top - 32)).toBeLessThanOrEqual(3);
    expect(Math.abs(r!.box.height - 160)).toBeLessThanOrEqual(6);
    expect(r!.box.width).toBe(240);
  });

  it('returns null when there is no border', () => {
    expect(trimBorders(texture(200, 150))).toBeNull();
  });

  it('ignores a stray flat line thinner than the minimum band', () => {
    expect(trimBorders(framed(texture(200, 150), { top: 1, bottom: 0, left: 0, right: 0 }, 0))).toBeNull();
  });

  it('returns null for a tiny image', () => {
    expect(trimBorders(framed(texture(16, 16), { top: 4, bottom: 4, left: 4, right: 4 }, 0))).toBeNull();
  });

  it('never trims everything: a flat image, or content too small to keep, gives null', () => {
    expect(
      trimBorders(framed(texture(1, 1), { top: 100, bottom: 99, left: 100, right: 99 }, 128)),
    ).toBeNull();
    expect(trimBorders(framed(texture(20, 20), { top: 90, bottom: 90, left: 90, right: 90 }, 0))).toBeNull();
  });

  it('stops where the border colour changes (a flat sky meeting a black bar stays)', () => {
    const content = texture(200, 120);
    const sky = framed(content, { top: 30, bottom: 0, left: 0, right: 0 }, 200);
    const r = trimBorders(framed(sky, { top: 20, bottom: 20, left: 0, right: 0 }, 0));
    expect(r?.box.top).toBe(20);
  });

  it('works on grey pixels', () => {
    const rgb = framed(texture(120, 90), { top: 0, bottom: 0, left: 25, right: 25 }, 10);
    const grey = new Uint8Array(rgb.width * rgb.height);
    for (let i = 0; i < grey.length; i++) grey[i] = rgb.data[3 * i]!;
    const r = trimBorders({ width: rgb.width, height: rgb.height, channels: 1, data: grey });
    expect(r?.box).toEqual({ left: 25, top: 0, width: 120, height: 90 });
    expect(r?.pixels.channels).toBe(1);
  });
});
