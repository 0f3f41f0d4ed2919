import type { DihedralName, HashType, PdqVariant } from '../hash/types.js';
import type { Labels } from '../store/types.js';

/** A PDQ hash as the worker reports it (hex, quality, optional dihedrals). */
export interface PdqQuery {
  readonly hex: string;
  readonly quality: number;
  readonly dihedral?: Readonly<Partial<Record<DihedralName, string>>>;
}

/** The hashes of one image (or one caller-supplied hash set) to look up. */
export interface QueryHashes {
  readonly pdq?: Readonly<Partial<Record<PdqVariant, PdqQuery>>>;
  /** PDQ of the image with near-uniform borders trimmed, when a border was found. */
  readonly pdqTrimmed?: Readonly<Partial<Record<PdqVariant, PdqQuery>>>;
  readonly phash?: string;
  readonly md5?: string;
  readonly sha1?: string;
  readonly sha256?: string;
}

export interface MatchOptions {
  /** Only these lists (names); default every enabled list. */
  readonly lists?: readonly string[];
  /** Per-type radius; a list's own threshold still caps it (a caller can tighten, never loosen). */
  readonly thresholds?: Readonly<Partial<Record<HashType, number>>>;
  /** Match PDQ rotations and mirrors too (default true). */
  readonly dihedral?: boolean;
  /** Match PDQ hashes below the quality floor (default false: reported, not matched). */
  readonly includeLowQuality?: boolean;
  /** Lists this caller may see (an API key restricted to named lists); undefined means all. */
  readonly allowedLists?: readonly string[];
}

/**
 * One match. It never carries the stored hash value: a caller that may only match learns which entry
 * matched and how far, not what the list holds.
 */
export interface Match {
  readonly list: string;
  readonly entryId: number;
  readonly externalId: string | null;
  readonly type: HashType;
  readonly distance: number;
  /** Which query variant matched: `exact`, a dihedral name (`orig`, `rot90`, …), or `trim:` + one. */
  readonly transform: string;
  readonly labels: Labels | null;
}

export interface MatchReport {
  readonly matched: boolean;
  /** Blocklist matches, nearest first. */
  readonly matches: readonly Match[];
  /** Safelist matches: when a type has one, that type's blocklist matches are suppressed. */
  readonly safelisted: readonly Match[];
  /** Number of blocklist matches suppressed by a safelist match. */
  readonly suppressed: number;
  /** True when the PDQ quality is below the floor and PDQ was therefore not matched. */
  readonly pdqLowQuality: boolean;
  /** The change-log position the answer reflects. */
  readonly indexVersion: number;
}
