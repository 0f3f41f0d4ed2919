/**
 * Where a scan looks hashes up: the local database through a Matcher, or a running hashwarden over
 * HTTP (remote.ts). Both answer per file, asynchronously, so the scanner does not care which.
 */
import type { PdqVariant } from '../../hash/types.js';
import type { HashResult } from '../../worker/protocol.js';
import type { Matcher } from '../matcher.js';
import type { Match, MatchOptions, QueryHashes } from '../types.js';

/** The matches of one file. */
export interface FileMatches {
  readonly matches: readonly Match[];
  /** The PDQ quality was under the floor, so PDQ was not matched (the exact hashes still were). */
  readonly pdqLowQuality: boolean;
}

/** A per-file lookup. A rejection is fatal to the scan (the file is not marked done). */
export interface LookupBackend {
  /** PDQ variants the worker must compute for this backend. */
  readonly pdqVariants: readonly PdqVariant[];
  lookup(result: HashResult): Promise<FileMatches>;
  close(): Promise<void>;
}

/** Match options a scan passes through: lists, a tighter PDQ threshold, dihedrals, low quality. */
export type ScanMatchOptions = Pick<MatchOptions, 'lists' | 'thresholds' | 'dihedral' | 'includeLowQuality'>;

/** The query a worker result becomes. */
export function queryOf(result: HashResult): QueryHashes {
  return {
    pdq: result.pdq,
    ...(result.pdqTrimmed !== undefined ? { pdqTrimmed: result.pdqTrimmed } : {}),
    phash: result.phash,
    md5: result.md5,
    sha1: result.sha1,
    sha256: result.sha256,
  };
}

/**
 * Looks up in-process. With a search pool on the matcher, a file's PDQ searches run on its threads and
 * this thread only hands them over (so it stays free to feed the hashing threads); without one, on
 * this thread (about a millisecond a file against a 1M-entry list).
 */
export class LocalLookup implements LookupBackend {
  readonly pdqVariants: readonly PdqVariant[];
  readonly #matcher: Matcher;
  readonly #options: ScanMatchOptions;

  /** `reportVariant` is computed too, so the report always carries that PDQ. */
  constructor(matcher: Matcher, options: ScanMatchOptions, reportVariant: PdqVariant) {
    this.#matcher = matcher;
    this.#options = options;
    this.pdqVariants = [...new Set<PdqVariant>([reportVariant, ...matcher.neededPdqVariants()])].sort();
  }

  async lookup(result: HashResult): Promise<FileMatches> {
    const r = await this.#matcher.matchAsync(queryOf(result), this.#options);
    return { matches: r.matches, pdqLowQuality: r.pdqLowQuality };
  }

  async close(): Promise<void> {}
}
