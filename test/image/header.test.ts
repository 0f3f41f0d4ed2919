import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { jpegHeader, pngHeader, readHeader } from '../../src/image/header.js';
import { noise } from '../helpers/noise.js';

const W = 37;
const H = 23;

/** What decodeImage derives from libvips' metadata(), which the header must agree with. */
async function fromMetadata(bytes: Buffer) {
  const m = await sharp(bytes).metadata();
  return {
    width: m.width,
    height: m.height,
    grey: m.space === 'b-w' || m.space === 'grey16' || (m.channels ?? 3) <= 2,
    sixteen: m.depth === 'ushort' || m.depth === 'short',
  };
}

function raw(channels: 1 | 2 | 3 | 4) {
  return sharp(Buffer.from(noise(W * H * channels, 7)), { raw: { width: W, height: H, channels } });
}

describe('image headers', () => {
  const cases: [string, () => Promise<Buffer>, 'jpeg' | 'png'][] = [
    ['baseline JPEG', () => raw(3).jpeg().toBuffer(), 'jpeg'],
    ['progressive JPEG', () => raw(3).jpeg({ progressive: true }).toBuffer(), 'jpeg'],
    ['grey JPEG', () => raw(1).jpeg().toBuffer(), 'jpeg'],
    ['RGB PNG', () => raw(3).png().toBuffer(), 'png'],
    ['RGBA PNG', () => raw(4).png().toBuffer(), 'png'],
    ['grey PNG', () => raw(1).png().toBuffer(), 'png'],
    ['grey + alpha PNG', () => raw(2).png().toBuffer(), 'png'],
    ['palette PNG', () => raw(3).png({ palette: true }).toBuffer(), 'png'],
    ['16-bit RGB PNG', () => raw(3).toColourspace('rgb16').png().toBuffer(), 'png'],
    ['16-bit grey PNG', () => raw(1).toColourspace('grey16').png().toBuffer(), 'png'],
  ];
  it.each(cases)('reads a %s as libvips does', async (_name, make, format) => {
    const bytes = await make();
    const header = readHeader(bytes, format);
    expect(header).not.toBeNull();
    expect(header).toEqual(await fromMetadata(bytes));
  });

  it('leaves a CMYK JPEG and other formats to libvips', async () => {
    const cmyk = await raw(3).toColourspace('cmyk').jpeg().toBuffer();
    expect((await sharp(cmyk).metadata()).channels).toBe(4);
    expect(jpegHeader(cmyk)).toBeNull();
    const webp = await raw(3).webp().toBuffer();
    expect(readHeader(webp, 'webp')).toBeNull();
  });

  it('skips fill bytes and segments before the frame header', async () => {
    const jpeg = await raw(3).jpeg().toBuffer();
    // SOI, a comment segment, fill bytes, then the rest of the original file after its SOI.
    const comment = Buffer.from([0xff, 0xfe, 0x00, 0x07, 0x68, 0x69, 0x20, 0x68, 0x69]);
    const padded = Buffer.concat([jpeg.subarray(0, 2), comment, Buffer.from([0xff, 0xff]), jpeg.subarray(2)]);
    expect(jpegHeader(padded)).toEqual({ width: W, height: H, grey: false, sixteen: false });
  });

  it('gives null, never throws, for cut, corrupt or unusual headers', async () => {
    const jpeg = await raw(3).jpeg().toBuffer();
    const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    // Cut anywhere before the end of the frame header.
    for (let n = 0; n < sof + 12; n++) expect(jpegHeader(jpeg.subarray(0, n))).toBeNull();
    // A scan before any frame header.
    expect(jpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02]))).toBeNull();
    // A segment length running past the end, and one below 2.
    expect(jpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x7f, 0xff, 0x00]))).toBeNull();
    expect(jpegHeader(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0x00, 0x00]))).toBeNull();
    const edit = (at: number, v: number) => {
      const b = Buffer.from(jpeg);
      b[at] = v;
      return jpegHeader(b);
    };
    expect(edit(sof + 1, 0xc3)).toBeNull(); // lossless process
    expect(edit(sof + 4, 12)).toBeNull(); // 12-bit samples
    const noHeight = Buffer.from(jpeg);
    noHeight[sof + 5] = 0;
    noHeight[sof + 6] = 0;
    expect(jpegHeader(noHeight)).toBeNull(); // height from a later DNL marker

    const png = await raw(3).png().toBuffer();
    for (let n = 0; n < 33; n++) expect(pngHeader(png.subarray(0, n))).toBeNull();
    const badDepth = Buffer.from(png);
    badDepth[24] = 16;
    badDepth[25] = 3; // a 16-bit palette does not exist
    expect(pngHeader(badDepth)).toBeNull();
    const notIhdr = Buffer.from(png);
    notIhdr[12] = 0x41;
    expect(pngHeader(notIhdr)).toBeNull();
    const zeroWidth = Buffer.from(png);
    zeroWidth.fill(0, 16, 20);
    expect(pngHeader(zeroWidth)).toBeNull();

    // Random bytes after a JPEG or PNG signature.
    for (let seed = 1; seed <= 200; seed++) {
      const tail = Buffer.from(noise(64, seed));
      expect(() => jpegHeader(Buffer.concat([Buffer.from([0xff, 0xd8]), tail]))).not.toThrow();
      expect(() => pngHeader(Buffer.concat([png.subarray(0, 8), tail]))).not.toThrow();
    }
  });
});
