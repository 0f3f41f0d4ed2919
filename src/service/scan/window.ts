/**
 * Bounded concurrency over a (possibly endless, lazily produced) source: at most `window` calls of
 * `fn` run at once, and the source is pulled only when a slot frees, so memory stays flat however
 * many items the source yields. Shared by `hashwarden hash` and `hashwarden scan`.
 */

/** Maps `source` through `fn` with at most `window` calls in flight; yields in source order. */
export async function* mapOrdered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  window: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const it = iterate(source);
  // A reorder buffer: the head is awaited first, later ones complete meanwhile.
  const pending: Promise<R>[] = [];
  let exhausted = false;
  for (;;) {
    while (!exhausted && pending.length < window) {
      const next = await it.next();
      if (next.done === true) exhausted = true;
      else pending.push(fn(next.value));
    }
    const head = pending.shift();
    if (head === undefined) return;
    yield await head;
  }
}

/**
 * Like `mapOrdered` but yields in completion order: one slow item (a huge TIFF) never holds back the
 * rest, which is what keeps every core busy when no output order is asked for.
 */
export async function* mapUnordered<T, R>(
  source: AsyncIterable<T> | Iterable<T>,
  window: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const it = iterate(source);
  const done: R[] = [];
  let running = 0;
  let exhausted = false;
  let wake: (() => void) | undefined;
  let failure: { err: unknown } | undefined;
  const settle = () => {
    running--;
    wake?.();
  };
  for (;;) {
    while (!exhausted && running < window) {
      const next = await it.next();
      if (next.done === true) {
        exhausted = true;
        break;
      }
      running++;
      fn(next.value).then(
        (r) => {
          done.push(r);
          settle();
        },
        (err: unknown) => {
          failure ??= { err };
          settle();
        },
      );
    }
    if (failure !== undefined) throw failure.err;
    if (done.length > 0) {
      // Yield everything that finished; the loop then refills the freed slots.
      while (done.length > 0) yield done.shift() as R;
      continue;
    }
    if (running === 0 && exhausted) return;
    await new Promise<void>((resolve) => {
      wake = resolve;
    });
    wake = undefined;
  }
}

function iterate<T>(source: AsyncIterable<T> | Iterable<T>): AsyncIterator<T> | Iterator<T> {
  return Symbol.asyncIterator in source
    ? (source as AsyncIterable<T>)[Symbol.asyncIterator]()
    : (source as Iterable<T>)[Symbol.iterator]();
}
