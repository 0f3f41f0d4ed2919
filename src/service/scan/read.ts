/**
 * Reads one scan input. A file of up to WHOLE_READ_BYTES is read in one call and sniffed in memory;
 * a larger one has its first bytes sniffed before the rest is read, so a video or archive among the
 * photos costs one small read, not its whole size.
 */
import { open } from 'node:fs/promises';
import { sniffFormat } from '../../image/sniff.js';

/** What reading an input gave: image bytes, "not an image" (skipped), or a per-file error. */
export type ReadOutcome =
  | { readonly kind: 'image'; readonly bytes: Uint8Array; readonly size: number }
  | { readonly kind: 'skip'; readonly size: number }
  | { readonly kind: 'error'; readonly code: string; readonly message: string; readonly size?: number };

/** Enough for every signature sniffFormat knows (ISO-BMFF brands, an SVG's XML prologue). */
const HEAD_BYTES = 4096;
/**
 * Files up to this size are read whole at once: one read instead of two for a typical photo, which
 * took about 0.1 ms of the event loop a file in a scan profile (52 KB photos); a non-image this small
 * costs little to read.
 */
const WHOLE_READ_BYTES = 1 << 20;

/** Reads `path` when it is an image of at most `maxBytes`; never throws. */
export async function readForScan(path: string, maxBytes: number): Promise<ReadOutcome> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { kind: 'error', code: 'HW_ERR_FILE_NOT_FOUND', message: `Cannot open the file (${code})` };
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'error', code: 'HW_ERR_FILE_NOT_FOUND', message: 'Not a regular file' };
    const size = st.size;
    if (size === 0) return { kind: 'skip', size };
    if (size <= WHOLE_READ_BYTES && size <= maxBytes) {
      // An exactly sized buffer of its own: the pool moves it to the worker instead of copying.
      const bytes = new Uint8Array(new ArrayBuffer(size));
      const got = await readFully(handle, bytes, 0);
      const sniffed = sniffFormat(bytes.subarray(0, Math.min(got, HEAD_BYTES)));
      if (sniffed.kind === 'unknown') return { kind: 'skip', size };
      if (sniffed.kind === 'unsupported') return unsupported(sniffed.format, size);
      return { kind: 'image', bytes: got === size ? bytes : bytes.subarray(0, got), size };
    }
    const head = new Uint8Array(Math.min(size, HEAD_BYTES));
    const got = await readFully(handle, head, 0);
    const sniffed = sniffFormat(head.subarray(0, got));
    if (sniffed.kind === 'unknown') return { kind: 'skip', size };
    if (sniffed.kind === 'unsupported') return unsupported(sniffed.format, size);
    if (size > maxBytes) {
      return {
        kind: 'error',
        code: 'HW_ERR_TOO_LARGE',
        message: `The file is larger than ${maxBytes} bytes`,
        size,
      };
    }
    // An exactly sized buffer of its own: the pool moves it to the worker instead of copying.
    const bytes = new Uint8Array(new ArrayBuffer(size));
    bytes.set(head.subarray(0, got));
    const total = got + (got < size ? await readFully(handle, bytes.subarray(got), got) : 0);
    return { kind: 'image', bytes: total === size ? bytes : bytes.subarray(0, total), size };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { kind: 'error', code: 'HW_ERR_FILE_NOT_FOUND', message: `Cannot read the file (${code})` };
  } finally {
    await handle.close();
  }
}

function unsupported(format: string, size: number): ReadOutcome {
  return {
    kind: 'error',
    code: 'HW_ERR_UNSUPPORTED_FORMAT',
    message: `The image format is not supported (${format})`,
    size,
  };
}

/** Fills `into` from file position `position` (short only at end of file); returns bytes read. */
async function readFully(
  handle: Awaited<ReturnType<typeof open>>,
  into: Uint8Array,
  position: number,
): Promise<number> {
  let off = 0;
  while (off < into.length) {
    const { bytesRead } = await handle.read(into, off, into.length - off, position + off);
    if (bytesRead === 0) break;
    off += bytesRead;
  }
  return off;
}
