import type { DihedralName, PdqVariant } from '../hash/types.js';
import type { DecodeLimits } from '../image/decode.js';
import type { ImageFormat } from '../image/sniff.js';

/** What one hashing task is asked to compute. Options are plain data: they cross a thread boundary. */
export interface HashOptions {
  /** PDQ variants to compute (default `['reference']`). */
  readonly pdqVariants?: readonly PdqVariant[];
  /** Also compute the 8 dihedral PDQ hashes (from the same DCT). */
  readonly dihedral?: boolean;
  /**
   * Shrink-on-load decode for JPEG/WebP. Exact PDQ `reference` needs the full decode, so this applies
   * only when `full` is the sole variant asked for; the hashes are then close to, not equal to, exact.
   */
  readonly fastDecode?: boolean;
  /**
   * Also hash the image with near-uniform borders (letterbox, padding) trimmed off, when it has any:
   * the matcher then takes the smaller distance of the two (see docs/robustness.md).
   */
  readonly trimBorders?: boolean;
  readonly limits?: Partial<DecodeLimits>;
}

export interface PdqHash {
  readonly hex: string;
  readonly quality: number;
  readonly dihedral?: Readonly<Record<DihedralName, string>>;
}

export interface HashResult {
  readonly format: ImageFormat;
  readonly width: number;
  readonly height: number;
  readonly pdq: Readonly<Partial<Record<PdqVariant, PdqHash>>>;
  /** PDQ of the border-trimmed image; only with `trimBorders`, and absent when no border was found. */
  readonly pdqTrimmed?: Readonly<Partial<Record<PdqVariant, PdqHash>>>;
  readonly phash: string;
  readonly md5: string;
  readonly sha1: string;
  readonly sha256: string;
  /** Whether the fast shrink-on-load path was used (hashes are then approximate). */
  readonly fastDecode: boolean;
  readonly timings: { readonly decodeMs: number; readonly hashMs: number };
}

/** The worker's request: the image bytes travel as a transferred ArrayBuffer. */
export interface HashTaskRequest {
  readonly buffer: ArrayBuffer;
  readonly options: HashOptions;
}

/** Errors come back as data, because Error objects lose their `code` across threads. */
export type HashTaskReply =
  | { readonly ok: true; readonly result: HashResult }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** Smallest shorter side kept by the fast decode path (measured: see README, "Fast decode"). */
export const FAST_DECODE_MIN_SIDE = 256;
