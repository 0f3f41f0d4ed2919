/**
 * Border trimming: finds near-uniform bands (letterbox bars, padding, flat frames) along the edges of a
 * decoded image and returns the content inside them. Used on the query side so that a padded copy can
 * also be hashed as the unpadded image it contains. Pure: pixels in, pixels out.
 *
 * A line (row or column) counts as border when almost all of its pixels lie within `tolerance` luma
 * levels of the line's median, and that median is within `tolerance` of the outermost line's: a border
 * is one flat colour. A gradient, any real texture or a change of colour ends it.
 */

import type { Pixels } from './types.js';

export interface TrimOptions {
  /** Largest luma difference from the line's median still counted as flat (JPEG ringing stays below). */
  readonly tolerance?: number;
  /** Fraction of a line's pixels allowed outside the tolerance (compression speckle, a logo's edge). */
  readonly outlierFraction?: number;
  /** A side's band must be at least this fraction of the dimension to be trimmed at all. */
  readonly minBandFraction?: number;
  /** At most this fraction of each dimension is trimmed in total (both sides together). */
  readonly maxTrimFraction?: number;
  /** The content left must be at least this many pixels on each side. */
  readonly minSide?: number;
}

export const DEFAULT_TRIM_OPTIONS: Required<TrimOptions> = Object.freeze({
  tolerance: 12,
  outlierFraction: 0.02,
  minBandFraction: 0.02,
  maxTrimFraction: 0.75,
  minSide: 32,
});

/** Where the content lies inside the original image. */
export interface TrimBox {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

export interface TrimResult {
  readonly pixels: Pixels;
  readonly box: TrimBox;
}

/**
 * The median luma of the `count` pixels starting at pixel `start` with step `stride` (in pixels) when the
 * line is flat (all but `outlierFraction` of them within `tolerance` of that median), else -1. Luma is
 * integer BT.601 (weights ×1024), computed here for the pixels of the line only: a photo without borders
 * has four lines looked at. The luma plane of the whole image that this replaced took 1.0–1.3 ms a
 * photo of ../shared/datasets/originals and 7.7–10.4 ms at 3 MP (datasets/large); trimming now takes
 * 0.1–0.3 ms and 1.0–1.6 ms (the crops of the images that have a border included), with the same boxes
 * and pixels on 2,590 images (the three datasets, in colour and in grey). `hist` is scratch space.
 */
function flatLineMedian(
  p: Pixels,
  start: number,
  stride: number,
  count: number,
  tolerance: number,
  outlierFraction: number,
  hist: Uint32Array,
): number {
  hist.fill(0);
  const d = p.data;
  const c = p.channels;
  if (c === 1) {
    for (let k = 0, i = start; k < count; k++, i += stride) hist[d[i]!]!++;
  } else {
    for (let k = 0, s = start * c, step = stride * c; k < count; k++, s += step) {
      hist[(306 * d[s]! + 601 * d[s + 1]! + 117 * d[s + 2]! + 512) >> 10]!++;
    }
  }
  // Median from the histogram.
  const half = count >> 1;
  let median = 0;
  for (let acc = 0; median < 256; median++) {
    acc += hist[median]!;
    if (acc > half) break;
  }
  let inside = 0;
  const lo = Math.max(0, median - tolerance);
  const hi = Math.min(255, median + tolerance);
  for (let v = lo; v <= hi; v++) inside += hist[v]!;
  return count - inside <= Math.floor(outlierFraction * count) ? median : -1;
}

interface Span {
  readonly start: number;
  readonly end: number;
}

/**
 * Trims one axis: how many leading and trailing lines of `[start, end)` are flat, judged over the
 * cross range `cross` of the other axis. `rows` says whether the lines are rows.
 */
function trimAxis(
  pixels: Pixels,
  width: number,
  start: number,
  end: number,
  cross: Span,
  rows: boolean,
  o: Required<TrimOptions>,
  hist: Uint32Array,
): Span {
  const length = end - start;
  const count = cross.end - cross.start;
  const maxTrim = Math.min(length - 1, Math.floor(o.maxTrimFraction * length));
  const minBand = Math.max(2, Math.ceil(o.minBandFraction * length));
  const median = (line: number): number =>
    rows
      ? flatLineMedian(pixels, line * width + cross.start, 1, count, o.tolerance, o.outlierFraction, hist)
      : flatLineMedian(
          pixels,
          cross.start * width + line,
          width,
          count,
          o.tolerance,
          o.outlierFraction,
          hist,
        );
  // A border is flat lines of one colour: stopping where the colour changes keeps a flat sky or wall
  // that meets a letterbox bar out of the trim, so the trimmed copy still lines up with its original.
  const sameBand = (line: number, outer: number): boolean => {
    const m = median(line);
    return m >= 0 && (outer < 0 || Math.abs(m - outer) <= o.tolerance);
  };
  const outerLead = median(start);
  let lead = 0;
  while (outerLead >= 0 && lead <= maxTrim && sameBand(start + lead, outerLead)) lead++;
  const outerTrail = median(end - 1);
  let trail = 0;
  while (outerTrail >= 0 && lead + trail <= maxTrim && sameBand(end - 1 - trail, outerTrail)) trail++;
  // A band thinner than minBand is a stray line (scanner edge, JPEG block), not a border.
  if (lead < minBand) lead = 0;
  if (trail < minBand) trail = 0;
  // Everything flat, or more than the budget: no trustworthy content box on this axis.
  if (lead + trail > maxTrim) return { start, end };
  return { start: start + lead, end: end - trail };
}

/** Copies the box out of `p` into a new tightly packed Pixels. */
function crop(p: Pixels, box: TrimBox): Pixels {
  const c = p.channels;
  const out = new Uint8Array(box.width * box.height * c);
  const rowBytes = box.width * c;
  for (let y = 0; y < box.height; y++) {
    const s = ((box.top + y) * p.width + box.left) * c;
    out.set(p.data.subarray(s, s + rowBytes), y * rowBytes);
  }
  return { width: box.width, height: box.height, channels: c, data: out };
}

/**
 * Finds near-uniform borders and returns the content inside them, or null when there is no meaningful
 * border, the image is too small, or trimming would leave too little (a flat image is all "border";
 * it is never trimmed to nothing).
 */
export function trimBorders(pixels: Pixels, options: TrimOptions = {}): TrimResult | null {
  const o: Required<TrimOptions> = { ...DEFAULT_TRIM_OPTIONS, ...options };
  const { width, height } = pixels;
  if (width < o.minSide || height < o.minSide) return null;
  if (pixels.data.length < width * height * pixels.channels) throw new RangeError('pixels: buffer too short');
  const hist = new Uint32Array(256);
  // Rows first over the full width, then columns over the rows that are left: a letterbox bar would
  // make every full-height column non-flat. One pass only: a second would eat into flat content (a sky)
  // that the first pass's colour rule kept.
  const rows = trimAxis(pixels, width, 0, height, { start: 0, end: width }, true, o, hist);
  const cols = trimAxis(pixels, width, 0, width, rows, false, o, hist);
  const box: TrimBox = {
    left: cols.start,
    top: rows.start,
    width: cols.end - cols.start,
    height: rows.end - rows.start,
  };
  if (box.width === width && box.height === height) return null;
  if (box.width < o.minSide || box.height < o.minSide) return null;
  return { pixels: crop(pixels, box), box };
}
