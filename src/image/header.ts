/**
 * What a decode needs to know before it starts (size, grey or colour, 8 or 16 bits), read from the
 * headers of the two most common upload formats in JavaScript. libvips' `metadata()` answers the same,
 * but as a separate task on libuv's thread pool: a hand-off to another thread and back for every image,
 * which cost 11 % of a one-core decode of a ≤ 1 MP JPEG here and 16–18 % on a 2-thread pool, where the
 * waiting thread's core often sits idle.
 *
 * Pure and bounded: it only reads `bytes`. Anything unusual (another JPEG process, CMYK, 12-bit samples,
 * a truncated or odd header) gives null, and the caller asks libvips; libvips also enforces the pixel
 * limit again while it decodes, so a header that lies cannot get past it.
 */
import type { ImageFormat } from './sniff.js';

export interface ImageHeader {
  readonly width: number;
  readonly height: number;
  /** One grey channel (with or without alpha), as libvips loads it. */
  readonly grey: boolean;
  /** 16-bit samples. */
  readonly sixteen: boolean;
}

/** Reads the header of `bytes` (already sniffed as `format`); null when libvips should be asked. */
export function readHeader(bytes: Uint8Array, format: ImageFormat): ImageHeader | null {
  if (format === 'jpeg') return jpegHeader(bytes);
  if (format === 'png') return pngHeader(bytes);
  return null;
}

/** SOF0 (baseline), SOF1 (extended sequential) and SOF2 (progressive), Huffman-coded. */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2]);
/** Markers with no length field: TEM, RST0–7 (SOI only opens the file). */
const STANDALONE = new Set([0x01, 0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7]);

/** The frame header of an 8-bit grey or 3-channel JPEG, found by walking the marker segments. */
export function jpegHeader(bytes: Uint8Array): ImageHeader | null {
  const n = bytes.length;
  if (n < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let i = 2;
  while (i + 1 < n) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      // Fill byte before a marker.
      i++;
      continue;
    }
    i += 2;
    if (STANDALONE.has(marker)) continue;
    // SOI again, EOI or SOS before any frame header: not a file to second-guess.
    if (marker === 0xd8 || marker === 0xd9 || marker === 0xda) return null;
    if (i + 2 > n) return null;
    const length = (bytes[i]! << 8) | bytes[i + 1]!;
    if (length < 2 || i + length > n) return null;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      // A frame header; only the common processes are read here.
      if (!SOF_MARKERS.has(marker) || length < 8) return null;
      const precision = bytes[i + 2]!;
      const height = (bytes[i + 3]! << 8) | bytes[i + 4]!;
      const width = (bytes[i + 5]! << 8) | bytes[i + 6]!;
      const components = bytes[i + 7]!;
      // Height 0 is defined later by a DNL marker; 4 components are CMYK or YCCK.
      if (precision !== 8 || width === 0 || height === 0) return null;
      if (components !== 1 && components !== 3) return null;
      if (length < 8 + 3 * components) return null;
      return { width, height, grey: components === 1, sixteen: false };
    }
    i += length;
  }
  return null;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Valid (colour type, bit depths) pairs of the PNG specification. */
const PNG_DEPTHS: ReadonlyMap<number, readonly number[]> = new Map([
  [0, [1, 2, 4, 8, 16]],
  [2, [8, 16]],
  [3, [1, 2, 4, 8]],
  [4, [8, 16]],
  [6, [8, 16]],
]);

/** The IHDR chunk of a PNG (always the first chunk). */
export function pngHeader(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length < 33) return null;
  for (let k = 0; k < 8; k++) if (bytes[k] !== PNG_SIGNATURE[k]) return null;
  const u32 = (at: number) =>
    ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  // Length 13, then "IHDR".
  if (u32(8) !== 13 || u32(12) !== 0x49484452) return null;
  const width = u32(16);
  const height = u32(20);
  const depth = bytes[24]!;
  const colourType = bytes[25]!;
  if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) return null;
  if (!PNG_DEPTHS.get(colourType)?.includes(depth)) return null;
  // Colour types 0 and 4 are grey (with alpha); 3 is a palette, which libvips expands to RGB(A).
  return { width, height, grey: colourType === 0 || colourType === 4, sixteen: depth === 16 };
}
