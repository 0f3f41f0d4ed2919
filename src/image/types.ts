/** Decoded pixels as the hash algorithms take them: 8 bits a sample, rows top to bottom, interleaved. */
export interface Pixels {
  readonly width: number;
  readonly height: number;
  /** 1 (grey) or 3 (RGB). Alpha is dropped, not composited (as the PDQ reference does). */
  readonly channels: 1 | 3;
  /** `width * height * channels` bytes. */
  readonly data: Uint8Array;
}
