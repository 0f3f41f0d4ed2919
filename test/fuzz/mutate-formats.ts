/**
 * Format-aware mutations: each parses just enough of its container to find the fields that carry
 * sizes, counts and offsets, and sets them to extremes, duplicates structures or drops them.
 */
import { crc32 } from '../helpers/bad-images.js';
import type { FuzzFormat } from './mutate.js';
import type { Rng } from './prng.js';

/** Values at the edges of 16- and 32-bit fields, where size arithmetic overflows or allocates. */
export const EXTREMES_16 = [0, 1, 2, 0x7f, 0xff, 0x3fff, 0x7fff, 0x8000, 0xfffe, 0xffff] as const;
export const EXTREMES_32 = [
  0, 1, 2, 0xff, 0xffff, 0x10000, 100_000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
] as const;

/** A format-aware mutation: new bytes and a short name, or null when it does not apply. */
export type FormatMutator = (bytes: Buffer, rng: Rng) => { bytes: Buffer; op: string } | null;

interface Span {
  /** Start of the structure (its header included) and its total length in bytes. */
  readonly at: number;
  readonly length: number;
  readonly name: string;
}

function insertAt(b: Buffer, at: number, part: Uint8Array): Buffer {
  return Buffer.concat([b.subarray(0, at), part, b.subarray(at)]);
}

function removeSpan(b: Buffer, s: Span): Buffer {
  return Buffer.concat([b.subarray(0, s.at), b.subarray(s.at + s.length)]);
}

/** Duplicates a span 1–3 times in place (right after itself). */
function duplicate(b: Buffer, s: Span, rng: Rng): { bytes: Buffer; op: string } {
  const copies = rng.range(1, 3);
  const part = b.subarray(s.at, s.at + s.length);
  return {
    bytes: insertAt(b, s.at + s.length, Buffer.concat(Array(copies).fill(part))),
    op: `dup ${s.name}×${copies}`,
  };
}

// ---- JPEG: markers and length-prefixed segments up to the first SOS ----

function jpegSegments(b: Buffer): Span[] {
  const out: Span[] = [];
  let i = 2;
  while (i + 4 <= b.length && b[i] === 0xff) {
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = b.readUInt16BE(i + 2) + 2;
    out.push({ at: i, length: Math.min(length, b.length - i), name: `ff${marker.toString(16)}` });
    if (marker === 0xda) break;
    i += length;
  }
  return out;
}

const isSof = (marker: number) => marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker);

const JPEG: readonly FormatMutator[] = [
  (b, rng) => {
    const segs = jpegSegments(b).filter((s) => s.name !== 'ffda');
    return segs.length ? duplicate(b, rng.pick(segs), rng) : null;
  },
  (b, rng) => {
    const segs = jpegSegments(b);
    if (!segs.length) return null;
    const s = rng.pick(segs);
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_16);
    out.writeUInt16BE(v, s.at + 2);
    return { bytes: out, op: `${s.name}.length=${v}` };
  },
  (b, rng) => {
    const sof = jpegSegments(b).find((s) => isSof(b[s.at + 1]!));
    if (!sof || sof.length < 10) return null;
    const out = Buffer.from(b);
    const field = rng.pick(['height', 'width', 'components', 'precision'] as const);
    const v =
      field === 'components' || field === 'precision'
        ? rng.pick([0, 1, 2, 4, 12, 16, 255])
        : rng.pick(EXTREMES_16);
    if (field === 'height') out.writeUInt16BE(v, sof.at + 5);
    else if (field === 'width') out.writeUInt16BE(v, sof.at + 7);
    else out[sof.at + (field === 'components' ? 9 : 4)] = v;
    return { bytes: out, op: `sof.${field}=${v}` };
  },
  (b, rng) => {
    const segs = jpegSegments(b);
    return segs.length ? { bytes: removeSpan(b, rng.pick(segs)), op: 'drop segment' } : null;
  },
];

// ---- PNG: length, type, data, CRC chunks ----

function pngChunks(b: Buffer): Span[] {
  const out: Span[] = [];
  let i = 8;
  while (i + 12 <= b.length) {
    const length = b.readUInt32BE(i);
    const name = b.toString('latin1', i + 4, i + 8);
    out.push({ at: i, length: Math.min(12 + length, b.length - i), name });
    if (name === 'IEND' || length > b.length) break;
    i += 12 + length;
  }
  return out;
}

function fixPngCrc(b: Buffer, c: Span): void {
  const dataLength = b.readUInt32BE(c.at);
  const end = c.at + 8 + dataLength;
  if (end + 4 <= b.length) b.writeUInt32BE(crc32(b.subarray(c.at + 4, end)), end);
}

const PNG: readonly FormatMutator[] = [
  (b, rng) => {
    const chunks = pngChunks(b);
    return chunks.length ? duplicate(b, rng.pick(chunks), rng) : null;
  },
  (b, rng) => {
    const ihdr = pngChunks(b).find((c) => c.name === 'IHDR');
    if (!ihdr) return null;
    const out = Buffer.from(b);
    const field = rng.pick(['width', 'height', 'depth', 'colour', 'interlace'] as const);
    let v: number;
    if (field === 'width' || field === 'height') {
      v = rng.pick(EXTREMES_32);
      out.writeUInt32BE(v, ihdr.at + 8 + (field === 'width' ? 0 : 4));
    } else {
      v = rng.pick(field === 'depth' ? [0, 1, 2, 4, 8, 16, 255] : [0, 1, 2, 3, 4, 6, 7, 255]);
      out[ihdr.at + 8 + { depth: 8, colour: 9, interlace: 12 }[field]] = v;
    }
    const fixed = rng.chance(0.7);
    if (fixed) fixPngCrc(out, ihdr);
    return { bytes: out, op: `IHDR.${field}=${v}${fixed ? ' (crc fixed)' : ''}` };
  },
  (b, rng) => {
    const chunks = pngChunks(b);
    if (!chunks.length) return null;
    const c = rng.pick(chunks);
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_32);
    out.writeUInt32BE(v, c.at);
    return { bytes: out, op: `${c.name}.length=${v}` };
  },
  (b, rng) => {
    // Corrupt a chunk's data and fix its CRC, so the damage reaches the chunk's parser (or zlib).
    const chunks = pngChunks(b).filter((c) => c.length > 12);
    if (!chunks.length) return null;
    const c = rng.pick(chunks);
    const out = Buffer.from(b);
    const flips = rng.range(1, 6);
    for (let i = 0; i < flips; i++) {
      const at = c.at + 8 + rng.int(c.length - 12);
      out[at] = out[at]! ^ (1 << rng.int(8));
    }
    fixPngCrc(out, c);
    return { bytes: out, op: `${c.name} data×${flips} (crc fixed)` };
  },
  (b, rng) => {
    const chunks = pngChunks(b).filter((c) => c.name !== 'IHDR');
    return chunks.length ? { bytes: removeSpan(b, rng.pick(chunks)), op: 'drop chunk' } : null;
  },
];

// ---- GIF: logical screen, extension blocks, image descriptors ----

interface GifFrame extends Span {
  /** Offset of the image descriptor (0x2c) inside the span (which starts at its extensions). */
  readonly desc: number;
}

const colourTableSize = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);

/** The frames (extensions + descriptor + image data), walking the block structure. */
function gifFrames(b: Buffer): GifFrame[] {
  if (b.length < 13) return [];
  let i = 13 + colourTableSize(b[10]!);
  const out: GifFrame[] = [];
  let start = i;
  const skipSubBlocks = () => {
    while (i < b.length && b[i] !== 0) i += 1 + b[i]!;
    i++;
  };
  while (i < b.length) {
    const intro = b[i]!;
    if (intro === 0x21) {
      i += 2;
      skipSubBlocks();
    } else if (intro === 0x2c) {
      const desc = i;
      i += 10 + colourTableSize(b[i + 9] ?? 0) + 1; // descriptor, local colour table, LZW code size
      skipSubBlocks();
      out.push({ at: start, length: Math.min(i, b.length) - start, desc, name: `frame@${start}` });
      start = i;
    } else {
      break; // trailer (0x3b) or junk
    }
  }
  return out;
}

const GIF: readonly FormatMutator[] = [
  (b, rng) => {
    if (b.length < 13) return null;
    const out = Buffer.from(b);
    const which = rng.pick([6, 8] as const);
    const v = rng.pick(EXTREMES_16);
    out.writeUInt16LE(v, which);
    return { bytes: out, op: `screen.${which === 6 ? 'width' : 'height'}=${v}` };
  },
  (b, rng) => {
    const frames = gifFrames(b);
    if (!frames.length) return null;
    const f = rng.pick(frames);
    if (f.desc + 9 > b.length) return null;
    const out = Buffer.from(b);
    const field = rng.int(4); // left, top, width, height
    const v = rng.pick(EXTREMES_16);
    out.writeUInt16LE(v, f.desc + 1 + 2 * field);
    return { bytes: out, op: `frame.${['left', 'top', 'width', 'height'][field]}=${v}` };
  },
  (b, rng) => {
    const f = gifFrames(b)[0];
    if (!f || f.desc + 10 >= b.length) return null;
    const at = f.desc + 10 + colourTableSize(b[f.desc + 9]!);
    if (at >= b.length) return null;
    const out = Buffer.from(b);
    const v = rng.pick([0, 1, 2, 8, 11, 12, 13, 255]);
    out[at] = v;
    return { bytes: out, op: `lzw.minCodeSize=${v}` };
  },
  (b, rng) => {
    // Frame duplication: the decoder sees many frames (only the first is decoded, but all are parsed).
    const frames = gifFrames(b);
    const last = frames.at(-1);
    if (!last) return null;
    const part = b.subarray(frames[0]!.at, last.at + last.length);
    const copies = rng.range(1, 40);
    const end = last.at + last.length;
    return { bytes: insertAt(b, end, Buffer.concat(Array(copies).fill(part))), op: `dup frames×${copies}` };
  },
  (b, rng) => {
    if (b.length < 13) return null;
    const out = Buffer.from(b);
    out[10] = rng.int(256);
    return { bytes: out, op: `screen.flags=${out[10]}` };
  },
];

// ---- WebP: RIFF size, chunk sizes, VP8/VP8L/VP8X dimensions ----

function riffChunks(b: Buffer): Span[] {
  const out: Span[] = [];
  let i = 12;
  while (i + 8 <= b.length) {
    const size = b.readUInt32LE(i + 4);
    out.push({
      at: i,
      length: Math.min(8 + size + (size & 1), b.length - i),
      name: b.toString('latin1', i, i + 4),
    });
    i += 8 + size + (size & 1);
  }
  return out;
}

const WEBP: readonly FormatMutator[] = [
  (b, rng) => {
    if (b.length < 12) return null;
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_32);
    out.writeUInt32LE(v, 4);
    return { bytes: out, op: `RIFF.size=${v}` };
  },
  (b, rng) => {
    const chunks = riffChunks(b);
    if (!chunks.length) return null;
    const c = rng.pick(chunks);
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_32);
    out.writeUInt32LE(v, c.at + 4);
    return { bytes: out, op: `${c.name.trim()}.size=${v}` };
  },
  (b, rng) => {
    const chunks = riffChunks(b);
    return chunks.length ? duplicate(b, rng.pick(chunks), rng) : null;
  },
  (b, rng) => {
    const c = riffChunks(b).find((x) => ['VP8 ', 'VP8L', 'VP8X'].includes(x.name));
    if (!c) return null;
    const out = Buffer.from(b);
    const d = c.at + 8;
    if (c.name === 'VP8 ' && d + 10 <= out.length) {
      const v = rng.pick(EXTREMES_16);
      out.writeUInt16LE(v, d + 6 + 2 * rng.int(2));
      return { bytes: out, op: `VP8.dim=${v}` };
    }
    if (c.name === 'VP8L' && d + 5 <= out.length) {
      const v = rng.pick(EXTREMES_32);
      out.writeUInt32LE(v, d + 1);
      return { bytes: out, op: `VP8L.dims=${v}` };
    }
    if (c.name === 'VP8X' && d + 10 <= out.length) {
      const v = rng.pick([0, 1, 0x3fff, 0x7fff, 0xffff, 0xffffff]);
      out.writeUIntLE(v, d + 4 + 3 * rng.int(2), 3);
      return { bytes: out, op: `VP8X.canvas=${v}` };
    }
    return null;
  },
];

// ---- TIFF: image file directories ----

interface Ifd {
  readonly le: boolean;
  readonly at: number;
  readonly count: number;
}

function firstIfd(b: Buffer): Ifd | null {
  if (b.length < 8) return null;
  const le = b[0] === 0x49;
  const at = le ? b.readUInt32LE(4) : b.readUInt32BE(4);
  if (at + 2 > b.length) return null;
  const count = le ? b.readUInt16LE(at) : b.readUInt16BE(at);
  return { le, at, count };
}

const TIFF_TAGS: Record<number, string> = {
  256: 'ImageWidth',
  257: 'ImageLength',
  258: 'BitsPerSample',
  259: 'Compression',
  262: 'Photometric',
  273: 'StripOffsets',
  277: 'SamplesPerPixel',
  278: 'RowsPerStrip',
  279: 'StripByteCounts',
  284: 'PlanarConfig',
};

const TIFF: readonly FormatMutator[] = [
  (b, rng) => {
    if (b.length < 8) return null;
    const out = Buffer.from(b);
    const v = rng.pick([...EXTREMES_32, 0, 8]);
    if (out[0] === 0x49) out.writeUInt32LE(v, 4);
    else out.writeUInt32BE(v, 4);
    return { bytes: out, op: `ifd.offset=${v}` };
  },
  (b, rng) => {
    const ifd = firstIfd(b);
    if (!ifd) return null;
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_16);
    if (ifd.le) out.writeUInt16LE(v, ifd.at);
    else out.writeUInt16BE(v, ifd.at);
    return { bytes: out, op: `ifd.count=${v}` };
  },
  (b, rng) => {
    // One entry's type, count or value/offset set to an extreme (prefers the size-bearing tags).
    const ifd = firstIfd(b);
    if (!ifd || ifd.count === 0) return null;
    const k = rng.int(Math.min(ifd.count, 64));
    const e = ifd.at + 2 + 12 * k;
    if (e + 12 > b.length) return null;
    const out = Buffer.from(b);
    const tag = ifd.le ? out.readUInt16LE(e) : out.readUInt16BE(e);
    const field = rng.pick(['type', 'count', 'value'] as const);
    const v = field === 'type' ? rng.int(20) : rng.pick(EXTREMES_32);
    const off = e + { type: 2, count: 4, value: 8 }[field];
    if (field === 'type') {
      if (ifd.le) out.writeUInt16LE(v, off);
      else out.writeUInt16BE(v, off);
    } else if (ifd.le) out.writeUInt32LE(v, off);
    else out.writeUInt32BE(v, off);
    return { bytes: out, op: `${TIFF_TAGS[tag] ?? `tag${tag}`}.${field}=${v}` };
  },
  (b, rng) => {
    // The next-IFD pointer aimed back at this IFD (or at 0 / past the end): an IFD loop.
    const ifd = firstIfd(b);
    if (!ifd) return null;
    const next = ifd.at + 2 + 12 * ifd.count;
    if (next + 4 > b.length) return null;
    const out = Buffer.from(b);
    const v = rng.pick([ifd.at, 8, 0xffffffff]);
    if (ifd.le) out.writeUInt32LE(v, next);
    else out.writeUInt32BE(v, next);
    return { bytes: out, op: `ifd.next=${v === ifd.at ? 'self' : v}` };
  },
];

// ---- AVIF: ISO-BMFF boxes (size, type; containers nest) ----

interface Box extends Span {
  /** Offsets of the enclosing boxes' size fields, outermost first. */
  readonly parents: readonly number[];
}

const CONTAINERS: Record<string, number> = { meta: 4, iprp: 0, ipco: 0, dinf: 0, iinf: 6, moov: 0, trak: 0 };

function boxes(b: Buffer, start = 0, end = b.length, parents: readonly number[] = [], depth = 0): Box[] {
  const out: Box[] = [];
  let i = start;
  while (i + 8 <= end && depth < 6) {
    const size = b.readUInt32BE(i);
    const name = b.toString('latin1', i + 4, i + 8);
    if (size < 8 || i + size > end) break;
    out.push({ at: i, length: size, name, parents });
    const skip = CONTAINERS[name];
    if (skip !== undefined) out.push(...boxes(b, i + 8 + skip, i + size, [...parents, i], depth + 1));
    i += size;
  }
  return out;
}

const AVIF: readonly FormatMutator[] = [
  (b, rng) => {
    const all = boxes(b);
    if (!all.length) return null;
    const x = rng.pick(all);
    const out = Buffer.from(b);
    const v = rng.pick([0, 1, 7, 8, x.length - 1, x.length + 1, b.length * 2, ...EXTREMES_32]);
    out.writeUInt32BE(v >>> 0, x.at);
    return { bytes: out, op: `${x.name}.size=${v >>> 0}` };
  },
  (b, rng) => {
    // Duplicate a box and grow its parents to match, so the copy is parsed rather than rejected.
    const all = boxes(b);
    if (!all.length) return null;
    const x = rng.pick(all);
    const out = Buffer.from(b);
    for (const p of x.parents) out.writeUInt32BE(out.readUInt32BE(p) + x.length, p);
    return { bytes: insertAt(out, x.at + x.length, b.subarray(x.at, x.at + x.length)), op: `dup ${x.name}` };
  },
  (b, rng) => {
    const ispe = boxes(b).find((x) => x.name === 'ispe');
    if (!ispe || ispe.length < 20) return null;
    const out = Buffer.from(b);
    const v = rng.pick(EXTREMES_32);
    out.writeUInt32BE(v, ispe.at + 12 + 4 * rng.int(2));
    return { bytes: out, op: `ispe.dim=${v}` };
  },
  (b, rng) => {
    const all = boxes(b).filter((x) => x.name !== 'ftyp');
    if (!all.length) return null;
    const x = rng.pick(all);
    const out = Buffer.from(b);
    for (const p of x.parents) out.writeUInt32BE(out.readUInt32BE(p) - x.length, p);
    return { bytes: removeSpan(out, x), op: `drop ${x.name}` };
  },
];

/** The format-aware mutators of each fuzzed format. */
export const FORMAT_MUTATORS: Record<FuzzFormat, readonly FormatMutator[]> = {
  jpeg: JPEG,
  png: PNG,
  gif: GIF,
  webp: WEBP,
  tiff: TIFF,
  avif: AVIF,
};
