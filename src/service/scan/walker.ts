/**
 * Lazy input enumeration for `scan`: directory trees (streamed with opendir, or sorted one directory
 * at a time), single files and manifests. Nothing here reads file contents; the scanner sniffs them.
 */

import type { Dirent } from 'node:fs';
import { createReadStream } from 'node:fs';
import { opendir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** One file to scan: its path and, from an NDJSON manifest, the caller's id for it. */
export interface ScanItem {
  readonly path: string;
  readonly id?: string;
}

/** Something the walk could not enumerate (a missing root, an unreadable directory, a bad manifest line). */
export interface WalkIssue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface WalkOptions {
  /** Follow symbolic links found inside directories (loops and repeats are detected). Default false. */
  readonly followSymlinks?: boolean;
  /** Visit each directory's entries in name order (code-unit order), for reproducible reports. */
  readonly sorted?: boolean;
  /** Called for each thing that could not be enumerated; the walk goes on. */
  readonly onIssue: (issue: WalkIssue) => void;
  /** Called for each symbolic link not followed, and each special file (fifo, socket, device). */
  readonly onSkip?: (path: string, why: 'symlink' | 'special' | 'loop') => void;
  /** Checked before each entry: when it returns true the walk stops early (Ctrl-C). */
  readonly stopped?: () => boolean;
}

/** The checkpoint key of an item: its path, plus its manifest id when it has one. */
export function itemKey(item: ScanItem): string {
  return item.id === undefined ? item.path : `${item.path}\u0000${item.id}`;
}

function issueOf(path: string, err: unknown): WalkIssue {
  const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
  return { path, code: 'HW_ERR_FILE_NOT_FOUND', message: `Cannot read (${code})` };
}

/**
 * Yields every file under `roots` (directories recursively, files as they are) and, after them, every
 * line of `manifest`. Roots that are symbolic links are followed (you named them); links inside a
 * tree are not, unless `followSymlinks`, so a scan never leaves the tree it was given.
 */
export async function* walkInputs(
  roots: readonly string[],
  manifest: string | undefined,
  options: WalkOptions,
): AsyncGenerator<ScanItem> {
  for (const root of roots) {
    if (options.stopped?.()) return;
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(root);
    } catch (err) {
      options.onIssue(issueOf(root, err));
      continue;
    }
    if (st.isDirectory()) {
      // Directory identities already entered: only needed when links can lead back into the tree.
      const seen = options.followSymlinks ? new Set<string>([`${st.dev}:${st.ino}`]) : undefined;
      yield* walkDir(root, options, seen);
    } else if (st.isFile()) {
      yield { path: root };
    } else {
      options.onSkip?.(root, 'special');
    }
  }
  if (manifest !== undefined) yield* readManifest(manifest, options);
}

async function* entriesOf(dir: string, sorted: boolean): AsyncGenerator<Dirent> {
  if (sorted) {
    // Sorting needs the whole directory listing; only one per level of depth is held at a time.
    const list = await readdir(dir, { withFileTypes: true });
    list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    yield* list;
  } else {
    // Streamed: a directory of a million files never sits in memory.
    yield* await opendir(dir, { bufferSize: 256 });
  }
}

async function* walkDir(
  dir: string,
  options: WalkOptions,
  seen: Set<string> | undefined,
): AsyncGenerator<ScanItem> {
  const entries = entriesOf(dir, options.sorted === true);
  for (;;) {
    let next: IteratorResult<Dirent>;
    try {
      next = await entries.next();
    } catch (err) {
      options.onIssue(issueOf(dir, err));
      return;
    }
    if (next.done === true) return;
    if (options.stopped?.()) {
      await entries.return(undefined);
      return;
    }
    const d = next.value;
    const path = join(dir, d.name);
    let isDir = d.isDirectory();
    let isFile = d.isFile();
    if (d.isSymbolicLink()) {
      if (!options.followSymlinks) {
        options.onSkip?.(path, 'symlink');
        continue;
      }
      try {
        const st = await stat(path);
        isDir = st.isDirectory();
        isFile = st.isFile();
        if (isDir) {
          const key = `${st.dev}:${st.ino}`;
          if (seen?.has(key)) {
            options.onSkip?.(path, 'loop');
            continue;
          }
        }
      } catch (err) {
        // A dangling link: nothing to scan, but say so.
        options.onIssue(issueOf(path, err));
        continue;
      }
    } else if (
      !isDir &&
      !isFile &&
      d.isBlockDevice() === false &&
      d.isFIFO() === false &&
      d.isSocket() === false &&
      d.isCharacterDevice() === false
    ) {
      // Filesystems that report no type (DT_UNKNOWN): ask.
      try {
        const st = await stat(path);
        isDir = st.isDirectory();
        isFile = st.isFile();
      } catch (err) {
        options.onIssue(issueOf(path, err));
        continue;
      }
    }
    if (isDir) {
      if (seen !== undefined) {
        try {
          const st = await stat(path);
          seen.add(`${st.dev}:${st.ino}`);
        } catch (err) {
          options.onIssue(issueOf(path, err));
          continue;
        }
      }
      yield* walkDir(path, options, seen);
    } else if (isFile) {
      yield { path };
    } else {
      options.onSkip?.(path, 'special');
    }
  }
}

/** Manifest lines: a plain path, or NDJSON `{"path": "...", "id": "..."}`. Blank lines are ignored. */
async function* readManifest(file: string, options: WalkOptions): AsyncGenerator<ScanItem> {
  const input = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const raw of lines) {
      n++;
      if (options.stopped?.()) return;
      const line = raw.trim();
      if (line === '') continue;
      if (!line.startsWith('{')) {
        yield { path: line };
        continue;
      }
      let row: unknown;
      try {
        row = JSON.parse(line);
      } catch {
        row = undefined;
      }
      const r = row as { path?: unknown; id?: unknown } | undefined;
      if (
        typeof r?.path !== 'string' ||
        r.path === '' ||
        (r.id !== undefined && typeof r.id !== 'string' && typeof r.id !== 'number')
      ) {
        options.onIssue({
          path: `${file}:${n}`,
          code: 'HW_ERR_BAD_REQUEST',
          message: 'expected a path, or {"path": string, "id"?: string}',
        });
        continue;
      }
      yield r.id === undefined ? { path: r.path } : { path: r.path, id: String(r.id) };
    }
  } catch (err) {
    options.onIssue(issueOf(file, err));
  } finally {
    lines.close();
    input.destroy();
  }
}

/**
 * Counts what `walkInputs` would yield when that is cheap (files named on the command line and
 * manifest lines, no directory walk); undefined when a directory is among the roots.
 */
export async function cheapCount(
  roots: readonly string[],
  manifest: string | undefined,
): Promise<number | undefined> {
  let n = 0;
  for (const root of roots) {
    try {
      if ((await stat(root)).isDirectory()) return undefined;
      n++;
    } catch {
      // Reported by the walk itself.
    }
  }
  if (manifest !== undefined) {
    try {
      const lines = createInterface({
        input: createReadStream(manifest),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) if (line.trim() !== '') n++;
    } catch {
      return undefined;
    }
  }
  return n;
}
