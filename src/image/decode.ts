import sharp, { type OutputInfo } from 'sharp';
import { HashwardenError } from '../errors.js';
import { type ImageHeader, readHeader } from './header.js';
import { type ImageFormat, sniffFormat } from './sniff.js';
import type { Pixels } from './types.js';

/** Bounds on one decode. Every input is untrusted. */
export interface DecodeLimits {
  /** Largest input accepted, in bytes. */
  readonly maxInputBytes: number;
  /** Largest width × height accepted (checked on the header before any pixel is decoded). */
  readonly maxPixels: number;
  /** libvips stops processing after this many seconds (whole seconds, at least 1). */
  readonly timeoutSeconds: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxInputBytes: 20 * 1024 * 1024,
  maxPixels: 50_000_000,
  timeoutSeconds: 10,
});

export interface DecodeOptions {
  readonly limits?: Partial<DecodeLimits>;
  /**
   * Fast path: let the JPEG/WebP decoder shrink on load by a power of two (2, 4 or 8) while the
   * shorter side stays at least this many pixels. The result is not the full-resolution image, so
   * hashes computed from it are close to, not equal to, the exact ones. 0 (default) disables it.
   */
  readonly shrinkOnLoadMinSide?: number;
  /**
   * Synchronous work to run while libvips decodes the pixels on its own thread (e.g. digests of the
   * bytes), instead of leaving this thread idle. Not called when the input is refused before decoding.
   */
  readonly whileDecoding?: () => void;
}

export interface DecodedImage extends Pixels {
  readonly format: ImageFormat;
  /** Size of the stored image before any shrink-on-load. */
  readonly sourceWidth: number;
  readonly sourceHeight: number;
  /** Shrink-on-load factor used (1 when the full image was decoded). */
  readonly shrink: number;
  /** Bits per sample of the source (16-bit sources are scaled to 8 bits with rounding). */
  readonly sourceDepth: 8 | 16;
}

const GREY_SPACES = new Set(['b-w', 'grey16']);
const SIXTEEN_BIT_DEPTHS = new Set(['ushort', 'short']);

function resolveLimits(partial: Partial<DecodeLimits> | undefined): DecodeLimits {
  const limits = { ...DEFAULT_DECODE_LIMITS, ...partial };
  limits.timeoutSeconds = Math.max(1, Math.ceil(limits.timeoutSeconds));
  return limits;
}

/** Maps a libvips/sharp failure to our error codes (its message never reaches a caller verbatim). */
function decodeError(err: unknown, format: ImageFormat): HashwardenError {
  const msg = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(msg)) return new HashwardenError('HW_ERR_TOO_MANY_PIXELS');
  if (/timeout/i.test(msg)) return new HashwardenError('HW_ERR_DECODE_TIMEOUT');
  if (
    /unsupported image format|compression format has not been built in|no decoder|not supported/i.test(msg)
  ) {
    return new HashwardenError(
      'HW_ERR_UNSUPPORTED_FORMAT',
      `The ${format} image uses a variant that cannot be decoded`,
    );
  }
  return new HashwardenError('HW_ERR_CORRUPT_IMAGE', `The ${format} image is truncated or corrupt`, {
    cause: err,
  });
}

/** Largest power-of-two shrink (≤ 8) that keeps the shorter side ≥ minSide. */
function shrinkFactor(width: number, height: number, minSide: number): number {
  let s = 1;
  while (s < 8 && Math.min(width, height) / (s * 2) >= minSide) s *= 2;
  return s;
}

/** Rounds 16-bit samples to 8 bits: v8 = round(v16 · 255 / 65535), i.e. round(v16 / 257). */
export function sixteenToEight(samples: Uint16Array): Uint8Array {
  const out = new Uint8Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = Math.floor((samples[i]! + 128) / 257);
  return out;
}

/**
 * Decodes the first frame of an image into 8-bit grey or RGB pixels, in stored orientation, without
 * colour-profile conversion and with alpha dropped (not composited). Nothing is written to disk.
 * Throws a HashwardenError (HW_ERR_*) for every failure; never hangs past the time budget.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const limits = resolveLimits(options.limits);
  if (bytes.length === 0) throw new HashwardenError('HW_ERR_EMPTY_INPUT');
  if (bytes.length > limits.maxInputBytes) {
    throw new HashwardenError('HW_ERR_TOO_LARGE', `The input is larger than ${limits.maxInputBytes} bytes`);
  }
  const sniffed = sniffFormat(bytes);
  if (sniffed.kind === 'unknown') throw new HashwardenError('HW_ERR_NOT_AN_IMAGE');
  if (sniffed.kind === 'unsupported') {
    throw new HashwardenError('HW_ERR_UNSUPPORTED_FORMAT', `The ${sniffed.format} format is not supported`);
  }
  const format = sniffed.format;
  const inputOptions = {
    limitInputPixels: limits.maxPixels,
    failOn: 'error',
    ignoreIcc: true,
    sequentialRead: true,
    pages: 1,
  } as const;

  // JPEG and PNG headers are read here (header.ts); other formats, and unusual JPEGs and PNGs, ask libvips.
  let header: ImageHeader | null = readHeader(bytes, format);
  // Past the pixel limit, libvips judges the header (it refuses some sizes as corrupt, such as JPEGs past
  // 65,500 pixels a side): the same outcome as for every other format, and a rare path.
  if (header !== null && header.width * header.height > limits.maxPixels) header = null;
  if (header === null) {
    try {
      const meta = await sharp(bytes, inputOptions).metadata();
      header = {
        width: meta.width,
        height: meta.height,
        grey: GREY_SPACES.has(meta.space ?? '') || (meta.channels ?? 3) <= 2,
        sixteen: SIXTEEN_BIT_DEPTHS.has(meta.depth ?? ''),
      };
    } catch (err) {
      throw decodeError(err, format);
    }
  }
  const { width, height, grey, sixteen } = header;
  if (!width || !height) throw new HashwardenError('HW_ERR_CORRUPT_IMAGE', 'The image has no dimensions');
  if (width * height > limits.maxPixels) {
    throw new HashwardenError(
      'HW_ERR_TOO_MANY_PIXELS',
      `The image has ${width}×${height} pixels; at most ${limits.maxPixels} are allowed`,
    );
  }
  const minSide = options.shrinkOnLoadMinSide ?? 0;
  const shrink =
    minSide > 0 && (format === 'jpeg' || format === 'webp') ? shrinkFactor(width, height, minSide) : 1;

  let pipeline = sharp(bytes, inputOptions).timeout({ seconds: limits.timeoutSeconds });
  if (shrink > 1) {
    // Asking for exactly the decoder's scaled size makes libvips shrink on load and resample nothing.
    pipeline = pipeline.resize(Math.ceil(width / shrink), Math.ceil(height / shrink), {
      fit: 'fill',
      kernel: 'nearest',
      fastShrinkOnLoad: true,
    });
  }
  if (sixteen) {
    // Keep all 16 bits through the pipeline; we round to 8 ourselves (sharp would drop the low byte's
    // information by truncation, and the C++ reference keeps only the low byte — a bug we do not copy).
    pipeline = grey
      ? pipeline.pipelineColourspace('grey16').toColourspace('grey16')
      : pipeline.pipelineColourspace('rgb16').toColourspace('rgb16');
  } else if (grey) {
    pipeline = pipeline.extractChannel(0);
  } else {
    pipeline = pipeline.toColourspace('srgb');
  }
  if (!grey) pipeline = pipeline.removeAlpha();

  let out: { data: Buffer; info: OutputInfo };
  try {
    const decoding = pipeline.raw(sixteen ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    // libvips now decodes on its own thread: the caller's synchronous work overlaps it.
    options.whileDecoding?.();
    out = await decoding;
  } catch (err) {
    throw decodeError(err, format);
  }
  const channels = out.info.channels === 1 ? 1 : 3;
  if (out.info.channels !== channels && !(grey && out.info.channels === 1)) {
    throw new HashwardenError('HW_ERR_UNSUPPORTED_FORMAT', `Unexpected ${out.info.channels}-channel decode`);
  }
  const data = sixteen
    ? sixteenToEight(new Uint16Array(out.data.buffer, out.data.byteOffset, out.data.byteLength / 2))
    : new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  const decoded: DecodedImage = {
    width: out.info.width,
    height: out.info.height,
    channels,
    data,
    format,
    sourceWidth: width,
    sourceHeight: height,
    shrink,
    sourceDepth: sixteen ? 16 : 8,
  };
  return decoded;
}
