/**
 * Named hostile inputs beyond random mutation: decompression bombs (dimensions, frame counts,
 * metadata bloat), polyglots and files of the wrong type, each with the outcome it must have. Shared
 * by test/fuzz/hostile.test.ts and the reliability report.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import type { ErrorCode } from '../../src/errors.js';
import { gifBomb, pngChunk, pngClaiming, sampleJpeg, samplePng, sampleWebp } from '../helpers/bad-images.js';

export interface HostileCase {
  readonly name: string;
  readonly group: 'bomb' | 'polyglot' | 'wrong type';
  readonly bytes: Buffer;
  /** `ok` when the input is an image after all (a polyglot whose image part is whole). */
  readonly expect: ErrorCode | 'ok';
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const MiB = 2 ** 20;

/** A complete, valid greyscale PNG of `width`×`height` zero pixels (compresses ~1000:1), plus extra chunks. */
export function zeroPng(width: number, height: number, extra: readonly Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  const raw = Buffer.alloc((width + 1) * height); // filter byte 0 + zero samples per row
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr),
    ...extra,
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** `prefix` + zlib stream inflating to `size` zero bytes: the payload of a zTXt/iCCP/iTXt bomb. */
function deflatedZeros(prefix: string, size: number): Buffer {
  return Buffer.concat([Buffer.from(prefix, 'latin1'), deflateSync(Buffer.alloc(size), { level: 9 })]);
}

/** A GIF with `frames` 1×1 frames (each ~19 bytes), or frames whose extents claim `extent`² pixels. */
async function deepGif(frames: number, extent = 1): Promise<Buffer> {
  const one = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .gif()
    .toBuffer();
  const flags = one[10]!;
  const start = 13 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  const frame = Buffer.from(one.subarray(start, one.length - 1)); // extensions + descriptor + data
  const desc = frame.indexOf(0x2c);
  frame.writeUInt16LE(extent, desc + 5);
  frame.writeUInt16LE(extent, desc + 7);
  return Buffer.concat([
    one.subarray(0, start),
    Buffer.concat(Array(frames).fill(frame)),
    Buffer.from([0x3b]),
  ]);
}

/** A JPEG whose SOF claims `side`×`side` pixels. */
async function jpegClaiming(side: number): Promise<Buffer> {
  const jpeg = Buffer.from(await sampleJpeg());
  for (let i = 2; i + 9 < jpeg.length; ) {
    const marker = jpeg[i + 1]!;
    if (marker >= 0xc0 && marker <= 0xc3) {
      jpeg.writeUInt16BE(side, i + 5);
      jpeg.writeUInt16BE(side, i + 7);
      return jpeg;
    }
    i += 2 + jpeg.readUInt16BE(i + 2);
  }
  throw new Error('no SOF in the sample JPEG');
}

/** A TIFF whose IFD says 1,000,000×1,000,000 pixels. */
async function tiffClaiming(): Promise<Buffer> {
  const tiff = Buffer.from(
    await sharp(await samplePng())
      .tiff({ compression: 'none' })
      .toBuffer(),
  );
  const ifd = tiff.readUInt32LE(4);
  const count = tiff.readUInt16LE(ifd);
  for (let k = 0; k < count; k++) {
    const e = ifd + 2 + 12 * k;
    const tag = tiff.readUInt16LE(e);
    if (tag === 256 || tag === 257) {
      tiff.writeUInt16LE(4, e + 2); // LONG
      tiff.writeUInt32LE(1_000_000, e + 8);
    }
  }
  return tiff;
}

/** An AVIF whose `ispe` box says 65535×65535. */
async function avifClaiming(): Promise<Buffer> {
  const avif = Buffer.from(
    await sharp(await samplePng())
      .avif({ effort: 0 })
      .toBuffer(),
  );
  const at = avif.indexOf('ispe', 0, 'latin1');
  avif.writeUInt32BE(65535, at + 8);
  avif.writeUInt32BE(65535, at + 12);
  return avif;
}

/** A WebP (VP8X) whose canvas says 16384×16384 over a 64×48 bitstream. */
async function webpCanvasLie(): Promise<Buffer> {
  const alpha = await sharp(await samplePng())
    .ensureAlpha(0.5)
    .webp()
    .toBuffer();
  const webp = Buffer.from(alpha);
  if (webp.toString('latin1', 12, 16) !== 'VP8X') throw new Error('expected an extended WebP');
  webp.writeUIntLE(16383, 24, 3);
  webp.writeUIntLE(16383, 27, 3);
  return webp;
}

/** Every hostile case, built deterministically. */
export async function hostileCases(): Promise<HostileCase[]> {
  const png = await samplePng();
  const jpeg = await sampleJpeg();
  const zip = Buffer.from(
    '504b0304140000000800000000000000000000000000000000000800000068656c6c6f2e7478744b0100',
    'hex',
  );
  const html = Buffer.from('<html><body><script>alert(1)</script></body></html>\n');
  const jpegPrefix = jpeg.subarray(0, Math.floor(jpeg.length / 2));
  return [
    {
      name: 'PNG claiming 100000×100000 (short data)',
      group: 'bomb',
      bytes: pngClaiming(100_000, 100_000),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    {
      name: 'PNG 10000×10000 of zeros, fully encoded (97 KB → 100 MB)',
      group: 'bomb',
      bytes: zeroPng(10_000, 10_000),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    { name: 'PNG IHDR 0×0', group: 'bomb', bytes: pngClaiming(0, 0), expect: 'HW_ERR_CORRUPT_IMAGE' },
    {
      name: 'PNG IHDR 2^31−1 wide (past libspng’s limit)',
      group: 'bomb',
      bytes: pngClaiming(0x7fffffff, 1),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'PNG with zTXt inflating to 200 MiB',
      group: 'bomb',
      bytes: zeroPng(64, 48, [pngChunk('zTXt', deflatedZeros('Comment\0\0', 200 * MiB))]),
      expect: 'ok',
    },
    {
      name: 'PNG with iCCP inflating to 200 MiB',
      group: 'bomb',
      bytes: zeroPng(64, 48, [pngChunk('iCCP', deflatedZeros('icc\0\0', 200 * MiB))]),
      expect: 'ok',
    },
    {
      name: 'PNG with compressed iTXt (XMP) inflating to 200 MiB',
      group: 'bomb',
      bytes: zeroPng(64, 48, [pngChunk('iTXt', deflatedZeros('XML:com.adobe.xmp\0\x01\0\0\0', 200 * MiB))]),
      expect: 'ok',
    },
    {
      name: 'PNG with 20000 tEXt chunks',
      group: 'bomb',
      bytes: zeroPng(64, 48, Array(20_000).fill(pngChunk('tEXt', Buffer.from('k\0v')))),
      expect: 'ok',
    },
    {
      name: 'GIF screen and frame 30000×30000',
      group: 'bomb',
      bytes: await gifBomb(),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    { name: 'GIF with 500000 frames (11.5 MB)', group: 'bomb', bytes: await deepGif(500_000), expect: 'ok' },
    {
      name: 'GIF with 1000 frames each 65535×65535',
      group: 'bomb',
      bytes: await deepGif(1000, 65535),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    {
      name: 'JPEG SOF 60000×60000',
      group: 'bomb',
      bytes: await jpegClaiming(60_000),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    {
      name: 'JPEG SOF 65535×65535 (past libjpeg’s 65500 limit)',
      group: 'bomb',
      bytes: await jpegClaiming(65_535),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'TIFF 1000000×1000000',
      group: 'bomb',
      bytes: await tiffClaiming(),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    {
      name: 'AVIF ispe 65535×65535',
      group: 'bomb',
      bytes: await avifClaiming(),
      expect: 'HW_ERR_TOO_MANY_PIXELS',
    },
    {
      name: 'WebP VP8X canvas 16384² over a 64×48 frame',
      group: 'bomb',
      bytes: await webpCanvasLie(),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'input of 20 MiB + 1 byte',
      group: 'bomb',
      bytes: Buffer.concat([png, Buffer.alloc(20 * MiB + 1 - png.length)]),
      expect: 'HW_ERR_TOO_LARGE',
    },
    {
      name: 'half a JPEG + a zip archive',
      group: 'polyglot',
      bytes: Buffer.concat([jpegPrefix, zip]),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'half a JPEG + HTML',
      group: 'polyglot',
      bytes: Buffer.concat([jpegPrefix, html]),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'whole JPEG + zip appended (GIFAR-style)',
      group: 'polyglot',
      bytes: Buffer.concat([jpeg, zip]),
      expect: 'ok',
    },
    { name: 'whole PNG + HTML appended', group: 'polyglot', bytes: Buffer.concat([png, html]), expect: 'ok' },
    {
      name: 'HTML with a JPEG inside',
      group: 'polyglot',
      bytes: Buffer.concat([html, jpeg]),
      expect: 'HW_ERR_NOT_AN_IMAGE',
    },
    {
      name: 'zip with a PNG inside',
      group: 'polyglot',
      bytes: Buffer.concat([zip, png]),
      expect: 'HW_ERR_NOT_AN_IMAGE',
    },
    {
      name: 'SVG with an external reference',
      group: 'wrong type',
      bytes: Buffer.from(
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><image href="file:///etc/passwd"/></svg>',
      ),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'bare <svg>',
      group: 'wrong type',
      bytes: Buffer.from('  <svg width="10" height="10"></svg>'),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'PDF',
      group: 'wrong type',
      bytes: Buffer.from('%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n'),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'BMP',
      group: 'wrong type',
      bytes: Buffer.from('BM\0\0\0\0\0\0\0\0\x36\0\0\0'),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'BigTIFF',
      group: 'wrong type',
      bytes: Buffer.from([0x49, 0x49, 0x2b, 0, 8, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0]),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'MP4 (ISO-BMFF, brand isom)',
      group: 'wrong type',
      bytes: Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex'),
      expect: 'HW_ERR_UNSUPPORTED_FORMAT',
    },
    {
      name: 'HEIC brand over junk',
      group: 'wrong type',
      bytes: Buffer.concat([
        Buffer.from('0000001866747970686569630000000068656963', 'hex'),
        Buffer.alloc(64, 7),
      ]),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    {
      name: 'ELF executable header',
      group: 'wrong type',
      bytes: Buffer.from('7f454c46020101000000000000000000', 'hex'),
      expect: 'HW_ERR_NOT_AN_IMAGE',
    },
    {
      name: 'gzip',
      group: 'wrong type',
      bytes: Buffer.from('1f8b0800000000000003030000000000000000', 'hex'),
      expect: 'HW_ERR_NOT_AN_IMAGE',
    },
    {
      name: 'JSON',
      group: 'wrong type',
      bytes: Buffer.from('{"image":"not really"}'),
      expect: 'HW_ERR_NOT_AN_IMAGE',
    },
    {
      name: 'WebP header only',
      group: 'wrong type',
      bytes: (await sampleWebp()).subarray(0, 16),
      expect: 'HW_ERR_CORRUPT_IMAGE',
    },
    { name: 'empty', group: 'wrong type', bytes: Buffer.alloc(0), expect: 'HW_ERR_EMPTY_INPUT' },
  ];
}
