import type Database from 'better-sqlite3';
import { HASH_TYPE_NAMES, HASH_TYPES, type HashType } from '../../hash/types.js';
import type { Db } from '../db.js';
import type { ParsedEntry } from './formats.js';

/** Rows buffered in JS before one staging transaction. */
const BATCH = 8192;
/** Rows per multi-row INSERT: better-sqlite3's per-call cost, not SQLite's, dominates row by row. */
const ROWS_PER_INSERT = 64;
/** Leading value bytes in a sort key (48 bits: with the type's rank above them it stays below 2^53). */
const PREFIX_BYTES = 6;
/** Where the type's rank starts in a sort key. */
const RANK_SHIFT = PREFIX_BYTES * 8;
/** Decimal digits of a sort key in the batch path (2^53 has 16). */
const KEY_DIGITS = 16;
const MAX_BYTES = Math.max(...HASH_TYPE_NAMES.map((t) => HASH_TYPES[t].bytes));

/** Each type's position in the byte order of the names: the order of `type` in the unique index. */
const RANK: ReadonlyMap<HashType, number> = new Map(
  [...HASH_TYPE_NAMES].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((t, i) => [t, i]),
);
if (RANK.size > 32) throw new Error('a sort key holds at most 32 hash types (rank × 2^48 < 2^53)');

/**
 * The staging sort key: the type's rank, then the value's first 6 bytes, as one integer (exact below
 * 2^53). Ordering by (key, value, rowid) is ordering by (type, value, rowid), the unique index's
 * order. SQLite's sorter settles almost every comparison on an integer first field without decoding
 * the records, where a (type, value) key made it unpack both records on every step (the rows share
 * the type): the sort is most of an import's CPU time, and this key takes about a quarter off it.
 * The key also carries the type (`typeOfKey`), so staging binds no type text per row.
 */
export function sortKey(type: HashType, bytes: Uint8Array, offset: number): number {
  const n = Math.min(PREFIX_BYTES, HASH_TYPES[type].bytes);
  let prefix = 0;
  for (let i = 0; i < n; i++) prefix = prefix * 256 + bytes[offset + i]!;
  return RANK.get(type)! * 2 ** RANK_SHIFT + prefix * 256 ** (PREFIX_BYTES - n);
}

/** SQL: the hash type name of the staging row aliased `s` (from the rank in its sort key). */
export function typeOfKey(s: string): string {
  const cases = [...RANK].map(([t, r]) => `WHEN ${r} THEN '${t}'`).join(' ');
  return `CASE ${s}.k >> ${RANK_SHIFT} ${cases} END`;
}

/** SQL: true when the staging row aliased `s` has the hash type held in `column`. */
export function keyHasType(s: string, column: string): string {
  const cases = [...RANK].map(([t, r]) => `WHEN '${t}' THEN ${r}`).join(' ');
  return `${s}.k >> ${RANK_SHIFT} = CASE ${column} ${cases} END`;
}

/**
 * Buffers parsed rows and writes them into the connection's TEMP staging table (outside the main
 * database, so nothing is locked while a file is read), in file order: rowid order is what keeps the
 * first copy of a duplicate. A batch whose rows share one type and carry no external id or labels
 * (hash-only files: `lines`, `te`, most `pdq-csv`) goes in as ONE statement over two blobs (values
 * and sort keys); other batches as multi-row INSERTs with the values bound as bytes.
 */
export class Stager {
  readonly #types = new Set<HashType>();
  readonly #one: Database.Statement;
  readonly #many: Database.Statement;
  readonly #uniform: Database.Statement;
  readonly #clear: Database.Statement;
  readonly #flush: Database.Transaction<() => void>;
  readonly #type: HashType[] = new Array(BATCH);
  readonly #hex: string[] = new Array(BATCH);
  readonly #ext: (string | null)[] = new Array(BATCH);
  readonly #labels: (string | null)[] = new Array(BATCH);
  readonly #values = Buffer.alloc(BATCH * MAX_BYTES);
  readonly #keys = Buffer.alloc(BATCH * KEY_DIGITS);
  readonly #args = new Array<unknown>(ROWS_PER_INSERT * 4);
  #count = 0;
  /** True while every buffered row has the first row's type and no external id or labels. */
  #isUniform = true;
  #lastType: HashType | null = null;

  constructor(db: Db) {
    // k: sort key and type (sortKey); the type column is derived from it when the rows are applied.
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS import_staging (
      k INTEGER NOT NULL, value BLOB NOT NULL, external_id TEXT, labels TEXT)`);
    this.#one = db.prepare('INSERT INTO temp.import_staging VALUES (?, ?, ?, ?)');
    this.#many = db.prepare(
      `INSERT INTO temp.import_staging VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?)').join(', ')}`,
    );
    // Row n: bytes n·width… of @vals, sort key = 16 ASCII digits at n·16 of @keys (substr on a blob
    // is O(1); on text it would count characters from the start).
    this.#uniform = db.prepare(
      `WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < @count)
       INSERT INTO temp.import_staging (k, value)
       SELECT CAST(CAST(substr(@keys, n * ${KEY_DIGITS} + 1, ${KEY_DIGITS}) AS TEXT) AS INTEGER),
              substr(@vals, n * @width + 1, @width)
       FROM i`,
    );
    this.#clear = db.prepare('DELETE FROM temp.import_staging');
    this.#flush = db.transaction(() => {
      if (this.#isUniform) this.#writeUniform();
      else this.#writeRows();
    });
  }

  /** The hash types staged since the last `clear()`. */
  get types(): ReadonlySet<HashType> {
    return this.#types;
  }

  /** Empties the staging table (before an import, and after it whatever happened). */
  clear(): void {
    this.#count = 0;
    this.#lastType = null;
    this.#types.clear();
    this.#clear.run();
  }

  /** Buffers one row; writes a full batch. */
  push(e: ParsedEntry): void {
    const i = this.#count;
    this.#type[i] = e.type;
    this.#hex[i] = e.hex;
    this.#ext[i] = e.externalId;
    this.#labels[i] = e.labels;
    if (i === 0) this.#isUniform = true;
    if (e.type !== this.#lastType) {
      if (i > 0) this.#isUniform = false;
      this.#lastType = e.type;
      this.#types.add(e.type);
    }
    if (e.externalId !== null || e.labels !== null) this.#isUniform = false;
    if (++this.#count === BATCH) this.finish();
  }

  /** Writes the buffered rows. */
  finish(): void {
    if (this.#count === 0) return;
    this.#flush();
    this.#count = 0;
    this.#lastType = null;
  }

  #writeUniform(): void {
    const type = this.#type[0]!;
    const width = HASH_TYPES[type].bytes;
    const vals = this.#values;
    const keys = this.#keys;
    for (let r = 0; r < this.#count; r++) {
      const at = r * width;
      vals.write(this.#hex[r]!, at, width, 'hex');
      let k = sortKey(type, vals, at);
      for (let d = r * KEY_DIGITS + KEY_DIGITS - 1; d >= r * KEY_DIGITS; d--) {
        const q = Math.floor(k / 10);
        keys[d] = 48 + k - q * 10;
        k = q;
      }
    }
    this.#uniform.run({
      count: this.#count,
      width,
      vals: vals.subarray(0, this.#count * width),
      keys: keys.subarray(0, this.#count * KEY_DIGITS),
    });
  }

  #writeRows(): void {
    const args = this.#args;
    const vals = this.#values;
    const full = this.#count - (this.#count % ROWS_PER_INSERT);
    for (let r = 0; r < this.#count; r++) {
      const type = this.#type[r]!;
      const width = HASH_TYPES[type].bytes;
      // Each row of one statement has its own slot: the views are read when the statement runs.
      const j = (r % ROWS_PER_INSERT) * 4;
      const at = (r % ROWS_PER_INSERT) * MAX_BYTES;
      vals.write(this.#hex[r]!, at, width, 'hex');
      args[j] = sortKey(type, vals, at);
      args[j + 1] = vals.subarray(at, at + width);
      args[j + 2] = this.#ext[r];
      args[j + 3] = this.#labels[r];
      if (r < full) {
        if (j === (ROWS_PER_INSERT - 1) * 4) this.#many.run(args);
      } else {
        this.#one.run(args.slice(j, j + 4));
      }
    }
  }
}
