export { csvField, csvLine } from '../csv.js';

/** Small helpers shared by commands that write reports. */
/** Writes to a stream, waiting for 'drain' when its buffer is full (so output never piles up in memory). */
export async function writeOut(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) {
    await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
  }
}

/** Parses a positive integer option. */
export function positiveInt(name: string): (value: string) => number {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${value}"`);
    return n;
  };
}
