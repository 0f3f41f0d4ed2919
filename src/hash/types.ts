/**
 * The registry of hash types. Adding a type touches this file and its algorithm, nothing in api/ or
 * store/. `defaultThreshold` is the inclusive Hamming radius a match is allowed (`distance <= t`).
 */
export type HashType = 'pdq' | 'phash' | 'md5' | 'sha1' | 'sha256';

export interface HashTypeInfo {
  readonly name: HashType;
  /** Length of the hash in bits. */
  readonly bits: number;
  /** Length of the hash in bytes (the stored BLOB's size). */
  readonly bytes: number;
  /** Length of the hex text (two digits a byte). */
  readonly hexLength: number;
  /** `hamming`: near matches by Hamming distance; `exact`: equality only. */
  readonly kind: 'hamming' | 'exact';
  /** Inclusive default match radius; 0 for exact types. */
  readonly defaultThreshold: number;
  /** The loosest radius a caller or list may ask for (the index is tuned up to it). */
  readonly maxThreshold: number;
  readonly description: string;
}

function info(
  name: HashType,
  bits: number,
  kind: 'hamming' | 'exact',
  defaultThreshold: number,
  maxThreshold: number,
  description: string,
): HashTypeInfo {
  return Object.freeze({
    name,
    bits,
    bytes: bits / 8,
    hexLength: bits / 4,
    kind,
    defaultThreshold,
    maxThreshold,
    description,
  });
}

export const HASH_TYPES: Readonly<Record<HashType, HashTypeInfo>> = Object.freeze({
  // PDQ 31 is Meta's suggested starting point and the industry default.
  pdq: info('pdq', 256, 'hamming', 31, 63, "Meta's PDQ perceptual hash (256 bits)"),
  // pHash 9, one below the common imagehash starting point of 10: at 10 an unrelated image matched a
  // padded copy in the robustness benchmark, missing the 99.99 % precision target (docs/robustness.md).
  phash: info('phash', 64, 'hamming', 9, 20, 'imagehash pHash, 64-bit DCT hash'),
  md5: info('md5', 128, 'exact', 0, 0, 'MD5 of the exact bytes'),
  sha1: info('sha1', 160, 'exact', 0, 0, 'SHA-1 of the exact bytes'),
  sha256: info('sha256', 256, 'exact', 0, 0, 'SHA-256 of the exact bytes'),
});

export const HASH_TYPE_NAMES: readonly HashType[] = Object.freeze(Object.keys(HASH_TYPES) as HashType[]);

/** True when `name` is a registered hash type. */
export function isHashType(name: unknown): name is HashType {
  return typeof name === 'string' && Object.hasOwn(HASH_TYPES, name);
}

/** PDQ hashes below this quality are reported but not matched by default (Meta's advice). */
export const PDQ_MIN_QUALITY = 50;

/** The two PDQ variants: the C++ reference CLI (512×512 pre-squash) and the full-image one. */
export type PdqVariant = 'reference' | 'full';
export const PDQ_VARIANTS: readonly PdqVariant[] = Object.freeze(['reference', 'full']);

/** The 8 dihedral transforms, in the reference's names and order. */
export const DIHEDRAL_NAMES = Object.freeze([
  'orig',
  'rot90',
  'rot180',
  'rot270',
  'flipx',
  'flipy',
  'flipplus1',
  'flipminus1',
] as const);
export type DihedralName = (typeof DIHEDRAL_NAMES)[number];
