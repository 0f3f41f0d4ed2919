/**
 * Hostile and broken inputs, made at test time from small valid images so no binary junk is committed.
 * Each maker is deterministic.
 */
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (as PNG chunks use it). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 255]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk with a correct length and CRC. */
export function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A valid-looking PNG whose header claims `width`×`height` pixels, with a tiny (short) data stream. */
export function pngClaiming(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const idat = deflateSync(Buffer.alloc(1024));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A small test photo-like image (plasma of gradients), as PNG. */
export async function samplePng(width = 64, height = 48): Promise<Buffer> {
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      data[i] = (x * 255) / width;
      data[i + 1] = (y * 255) / height;
      data[i + 2] = ((x ^ y) * 7) & 255;
    }
  }
  return sharp(data, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

export async function sampleJpeg(width = 64, height = 48): Promise<Buffer> {
  return sharp(await samplePng(width, height))
    .jpeg({ quality: 90 })
    .toBuffer();
}

export async function sampleWebp(width = 64, height = 48): Promise<Buffer> {
  return sharp(await samplePng(width, height))
    .webp({ quality: 80 })
    .toBuffer();
}

/** A JPEG cut off in the middle of its entropy-coded data. */
export async function truncatedJpeg(): Promise<Buffer> {
  const jpeg = await sampleJpeg(256, 192);
  return jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
}

/** A WebP whose compressed bitstream is overwritten with junk after the headers. */
export async function corruptWebp(): Promise<Buffer> {
  const webp = Buffer.from(await sampleWebp(128, 96));
  // Byte 30 on is the VP8 bitstream (after the RIFF, chunk and frame headers).
  for (let i = 30; i < webp.length; i++) webp[i] = (i * 37) & 255;
  return webp;
}

/**
 * A GIF bomb: a 45-byte GIF whose logical screen and first frame both claim 30000×30000 pixels
 * (900 megapixels) over a few bytes of LZW data.
 */
export async function gifBomb(): Promise<Buffer> {
  const gif = Buffer.from(
    await sharp(Buffer.alloc(4 * 4 * 3, 128), { raw: { width: 4, height: 4, channels: 3 } })
      .gif()
      .toBuffer(),
  );
  gif.writeUInt16LE(30000, 6);
  gif.writeUInt16LE(30000, 8);
  const frame = gif.indexOf(0x2c, 13); // image separator of the first frame
  gif.writeUInt16LE(30000, frame + 5);
  gif.writeUInt16LE(30000, frame + 7);
  return gif;
}

/**
 * Images that carry `marker` in their metadata (JPEG EXIF and COM, PNG tEXt), whole and truncated:
 * a test that finds the marker in a log, an output or a file proves that image bytes leaked there.
 */
export async function markedImages(marker: string): Promise<{ name: string; bytes: Buffer }[]> {
  const jpeg = await sharp(await samplePng(320, 240))
    .withExif({ IFD0: { ImageDescription: marker, Copyright: marker } })
    .jpeg()
    .toBuffer();
  const comment = Buffer.from(marker, 'latin1');
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), comment]);
  com.writeUInt16BE(comment.length + 2, 2);
  const jpegWithCom = Buffer.concat([jpeg.subarray(0, 2), com, jpeg.subarray(2)]);
  const png = await samplePng(320, 240);
  const text = pngChunk('tEXt', Buffer.from(`Comment\0${marker}`, 'latin1'));
  const pngWithText = Buffer.concat([png.subarray(0, 33), text, png.subarray(33)]); // after IHDR
  return [
    { name: 'marked.jpg', bytes: jpegWithCom },
    { name: 'marked.png', bytes: pngWithText },
    { name: 'marked-truncated.jpg', bytes: jpegWithCom.subarray(0, Math.floor(jpegWithCom.length * 0.7)) },
    { name: 'marked-corrupt.png', bytes: Buffer.concat([pngWithText.subarray(0, 60), Buffer.from(marker)]) },
  ];
}
