import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { HashwardenError } from '../errors.js';
import { parseHash } from '../hash/codec.js';
import {
  HASH_TYPE_NAMES,
  HASH_TYPES,
  type HashType,
  PDQ_MIN_QUALITY,
  type PdqVariant,
} from '../hash/types.js';
import {
  buildIndex,
  createIndex,
  type HashIndex,
  type IndexMatch,
  type IndexOptions,
  MihIndex,
} from '../index/index.js';
import type { SearchPool } from '../index/search-pool.js';
import type { Store } from '../store/store.js';
import type { ChangeRecord, EntryRecord, ListRecord } from '../store/types.js';
import type { HashOptions } from '../worker/protocol.js';
import type { Match, MatchOptions, MatchReport, QueryHashes } from './types.js';

export interface MatcherOptions {
  /** How often the change log is polled, in ms (0 disables polling; call `sync()` yourself). */
  readonly pollMs?: number;
  /**
   * Pending changes past which a bulk rebuild replaces one-by-one replay (default REBUILD_GAP); an
   * import's range row counts as the ids it spans.
   */
  readonly rebuildGap?: number;
  /** Called with a poll error (the matcher keeps running and retries). */
  readonly onError?: (err: unknown) => void;
  /** Index settings (mode, fast-mode size limit); each has a measured default. */
  readonly index?: IndexOptions;
  /**
   * Worker threads for the searches of lookupMany and matchAsync. They read the index tables on shared
   * memory (the default; with `index.shared: false` those searches run inline).
   */
  readonly searchPool?: SearchPool | null;
}

/** Past this many pending changes, a bulk rebuild is cheaper than replaying them one by one. */
export const REBUILD_GAP = 100_000;

/** One query against one index: the hash bytes, its label, and which lists it may be compared with. */
interface Probe {
  readonly type: HashType;
  readonly bytes: Uint8Array;
  readonly transform: string;
  /** PDQ only: the variant the query hash was computed in; lists of the other variant are skipped. */
  readonly variant?: PdqVariant;
}

interface Hit {
  readonly probe: Probe;
  readonly id: number;
  readonly distance: number;
}

/**
 * Hashes → index lookups → entries. Holds one in-memory index per hash type, built from the store at
 * start and kept in step with the store's change log (another process's import shows up within one
 * poll interval, with no rebuild). Lookups are synchronous and run on the main thread.
 */
export class Matcher {
  readonly #store: Store;
  readonly #indexes = new Map<HashType, HashIndex>();
  #lists = new Map<number, ListRecord>();
  /** Whether `#lists` was re-read during the current sync. */
  #listsFresh = false;
  #seq = 0;
  #ready = false;
  #rebuilding: Promise<void> | null = null;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #pollMs: number;
  readonly #rebuildGap: number;
  readonly #onError: (err: unknown) => void;
  readonly #indexOptions: IndexOptions;
  readonly #searchPool: SearchPool | null;

  constructor(store: Store, options: MatcherOptions = {}) {
    this.#store = store;
    this.#pollMs = options.pollMs ?? 500;
    this.#rebuildGap = options.rebuildGap ?? REBUILD_GAP;
    this.#onError = options.onError ?? (() => {});
    this.#indexOptions = options.index ?? {};
    this.#searchPool = options.searchPool ?? null;
    for (const type of HASH_TYPE_NAMES) this.#indexes.set(type, createIndex(type, this.#indexOptions));
  }

  /** Opens a matcher and loads every index; resolves when it is ready. */
  static async open(store: Store, options: MatcherOptions = {}): Promise<Matcher> {
    const m = new Matcher(store, options);
    await m.load();
    return m;
  }

  /** True once the indexes are loaded (`/readyz`). */
  get ready(): boolean {
    return this.#ready;
  }

  /** The change-log position the indexes reflect. */
  get indexVersion(): number {
    return this.#seq;
  }

  /** Resolves when a background rebuild (if one is running) has finished. */
  async settled(): Promise<void> {
    await this.#rebuilding;
  }

  /**
   * Builds every index from the store (yielding to the event loop between batches so a server stays
   * responsive), then replays the changes made meanwhile and starts following the log.
   */
  async load(): Promise<void> {
    await this.#rebuild();
    this.#ready = true;
    this.#schedule();
  }

  /**
   * Builds fresh indexes off the request path and swaps them in at once; the old ones keep answering
   * until then. Used at start and when the log has run far ahead (a bulk import by another process):
   * one bulk build is much cheaper than replaying a million single additions.
   */
  async #rebuild(): Promise<void> {
    // Remember the log position first: changes made during the build are replayed after it (replaying
    // an add or remove twice is harmless, since the index replaces or ignores).
    const seq = this.#store.latestChangeSeq();
    const lists = new Map(this.#store.lists.list().map((l) => [l.id, l]));
    const fresh = new Map<HashType, HashIndex>();
    for (const type of HASH_TYPE_NAMES) {
      const batches: { ids: Uint32Array; values: Uint8Array }[] = [];
      let n = 0;
      for (const batch of this.#store.iterateActiveEntries(type, 262_144)) {
        batches.push(batch);
        n += batch.ids.length;
        await yieldToLoop();
      }
      const bytes = HASH_TYPES[type].bytes;
      const ids = new Uint32Array(n);
      const values = new Uint8Array(n * bytes);
      let at = 0;
      for (const b of batches) {
        ids.set(b.ids, at);
        values.set(b.values, at * bytes);
        at += b.ids.length;
      }
      batches.length = 0;
      fresh.set(type, buildIndex(type, values, ids, this.#indexOptions));
      await yieldToLoop();
    }
    if (this.#closed) {
      for (const index of fresh.values()) index.close();
      return;
    }
    for (const [type, index] of fresh) {
      this.#indexes.get(type)?.close();
      this.#indexes.set(type, index);
    }
    this.#lists = lists;
    this.#seq = seq;
    this.sync();
  }

  #schedule(): void {
    if (this.#closed || this.#pollMs <= 0) return;
    this.#timer = setTimeout(() => {
      try {
        this.sync();
      } catch (err) {
        this.#onError(err);
      }
      this.#schedule();
    }, this.#pollMs);
    this.#timer.unref();
  }

  #refreshLists(): void {
    this.#lists = new Map(this.#store.lists.list().map((l) => [l.id, l]));
    this.#listsFresh = true;
  }

  /**
   * Applies every change after the current position; returns how many. Cheap when nothing changed.
   * When the log is more than `rebuildGap` changes ahead, or holds an import range of more than
   * `rebuildGap` ids, it starts a background rebuild instead (and returns the changes applied before
   * that: 0 when it starts at once); the current indexes answer until the new ones are swapped in.
   */
  sync(): number {
    if (this.#closed || this.#rebuilding !== null) return 0;
    const latest = this.#store.latestChangeSeq();
    if (latest <= this.#seq) return 0;
    this.#listsFresh = false;
    if (this.#ready && latest - this.#seq > this.#rebuildGap) {
      this.#startRebuild();
      return 0;
    }
    let applied = 0;
    for (;;) {
      const changes = this.#store.changesSince(this.#seq, 10_000);
      if (changes.length === 0) break;
      // A bulk import's range counts as its entries: past the gap, one rebuild is cheaper than adding
      // them one by one.
      if (this.#ready && changes.some((c) => rangeSize(c) > this.#rebuildGap)) {
        this.#startRebuild();
        return applied;
      }
      for (const c of changes) {
        if (c.op === 'list') {
          this.#refreshLists();
        } else if (c.op === 'add' && c.lastEntryId !== null && c.entryId !== null) {
          this.#addRange(c.listId, c.entryId, c.lastEntryId, c.type);
        } else if (c.entryId !== null && c.type !== null) {
          const index = this.#indexes.get(c.type);
          if (c.op === 'add' || c.op === 'enable') {
            if (this.#listEnabled(c.listId) && c.value !== null) index?.add(c.entryId, c.value);
          } else {
            index?.remove(c.entryId);
          }
        }
        this.#seq = c.seq;
        applied++;
      }
    }
    return applied;
  }

  /** Starts a background rebuild; the current indexes answer until it swaps the new ones in. */
  #startRebuild(): void {
    this.#rebuilding = this.#rebuild()
      .catch((err: unknown) => this.#onError(err))
      .finally(() => {
        this.#rebuilding = null;
      });
  }

  /**
   * Whether entries of the list belong in the indexes. The cache can lag the log: a list created or
   * enabled further on (enabling a list logs its entries' `enable` rows before its `list` row), so a
   * miss re-reads the lists once per sync. Using the current state is safe: every later change of the
   * list or its entries has its own row after this one.
   */
  #listEnabled(listId: number): boolean {
    if (this.#lists.get(listId)?.enabled === true) return true;
    if (!this.#listsFresh) this.#refreshLists();
    return this.#lists.get(listId)?.enabled === true;
  }

  /**
   * Indexes the entries of an `add` range that are active now. Those removed or disabled since were
   * (or will be) logged after the range, and replaying those rows on top is harmless.
   */
  #addRange(listId: number, first: number, last: number, type: HashType | null): void {
    if (!this.#listEnabled(listId)) return;
    for (const t of type === null ? HASH_TYPE_NAMES : [type]) {
      const index = this.#indexes.get(t);
      if (index === undefined) continue;
      const width = HASH_TYPES[t].bytes;
      for (const { ids, values } of this.#store.entries.iterateActiveRange(t, listId, first, last)) {
        for (let i = 0; i < ids.length; i++) index.add(ids[i]!, values.subarray(i * width, (i + 1) * width));
      }
    }
  }

  /** PDQ variants that enabled lists were made with: what the worker should compute for a match. */
  neededPdqVariants(): PdqVariant[] {
    const variants = new Set<PdqVariant>();
    for (const l of this.#lists.values())
      if (l.enabled && (l.types.length === 0 || l.types.includes('pdq'))) variants.add(l.pdqVariant);
    return variants.size === 0 ? ['reference'] : [...variants].sort();
  }

  /**
   * What the worker should compute for an image that is to be matched: the PDQ variants enabled lists
   * need, the 8 dihedrals (default on) and the border-trimmed PDQ (default on: it lifts padding and
   * letterbox recall from 0 % to 99 % at no false-positive cost, docs/robustness.md).
   */
  hashOptions(options: { dihedral?: boolean; trimBorders?: boolean } = {}): HashOptions {
    return {
      pdqVariants: this.neededPdqVariants(),
      dihedral: options.dihedral !== false,
      trimBorders: options.trimBorders !== false,
    };
  }

  /** Entries per hash type and the bytes the indexes hold. */
  stats(): { type: HashType; size: number; memoryBytes: number }[] {
    return HASH_TYPE_NAMES.map((type) => {
      const index = this.#indexes.get(type)!;
      return { type, size: index.size, memoryBytes: index.memoryBytes() };
    });
  }

  /** Every enabled list (the cache the matcher filters with). */
  lists(): ListRecord[] {
    return [...this.#lists.values()];
  }

  /**
   * Looks up an image's hashes in every enabled list the options allow. Thresholds are the tighter of the
   * caller's and the list's own; PDQ below the quality floor is not matched unless asked; a safelist match
   * suppresses that type's blocklist matches.
   */
  match(hashes: QueryHashes, options: MatchOptions = {}): MatchReport {
    const { probes, pdqLowQuality } = this.#matchProbes(hashes, options);
    return this.#run(probes, options, pdqLowQuality);
  }

  /**
   * `match` with the image's PDQ searches (8 dihedrals, 16 with a trimmed border) spread over the
   * search threads when there are any: the event loop, which hands images to the hashing threads,
   * stays free meanwhile. Same answers as `match`.
   */
  async matchAsync(hashes: QueryHashes, options: MatchOptions = {}): Promise<MatchReport> {
    const { probes, pdqLowQuality } = this.#matchProbes(hashes, options);
    const plan = this.#plan(options);
    if (plan === null || probes.length === 0) return this.#empty(pdqLowQuality);
    const hits = await this.#searchAll(probes, plan.radius);
    // Lists may have changed while the threads searched: answer with the current ones.
    const now = this.#plan(options);
    if (now === null) return this.#empty(pdqLowQuality);
    const best = new Map<number, Hit>();
    probes.forEach((probe, i) => {
      keepBest(best, probe, hits[i]!);
    });
    return this.#report(best, now.lists, options, pdqLowQuality);
  }

  #matchProbes(hashes: QueryHashes, options: MatchOptions): { probes: Probe[]; pdqLowQuality: boolean } {
    const dihedral = options.dihedral !== false;
    const probes: Probe[] = [];
    let pdqLowQuality = false;
    const pdqProbes = (set: QueryHashes['pdq'], prefix: string) => {
      for (const [variant, q] of Object.entries(set ?? {}) as [
        PdqVariant,
        NonNullable<QueryHashes['pdq']>[PdqVariant],
      ][]) {
        if (q === undefined) continue;
        if (q.quality < PDQ_MIN_QUALITY && options.includeLowQuality !== true) {
          pdqLowQuality = true;
          continue;
        }
        probes.push({ type: 'pdq', bytes: parseHash('pdq', q.hex), transform: `${prefix}orig`, variant });
        if (!dihedral || q.dihedral === undefined) continue;
        for (const [name, hex] of Object.entries(q.dihedral)) {
          if (name !== 'orig' && hex !== undefined)
            probes.push({
              type: 'pdq',
              bytes: parseHash('pdq', hex),
              transform: `${prefix}${name}`,
              variant,
            });
        }
      }
    };
    pdqProbes(hashes.pdq, '');
    pdqProbes(hashes.pdqTrimmed, 'trim:');
    if (hashes.phash !== undefined)
      probes.push({ type: 'phash', bytes: parseHash('phash', hashes.phash), transform: 'orig' });
    for (const type of ['md5', 'sha1', 'sha256'] as const) {
      const hex = hashes[type];
      if (hex !== undefined) probes.push({ type, bytes: parseHash(type, hex), transform: 'exact' });
    }
    return { probes, pdqLowQuality };
  }

  /**
   * Looks up one caller-supplied hash (for `/v1/lookup` and `hashwarden lookup`). A PDQ hash is compared
   * with lists of either variant unless `pdqVariant` says which one it was made with.
   */
  lookup(type: HashType, hex: string, options: MatchOptions & { pdqVariant?: PdqVariant } = {}): MatchReport {
    return this.#run([this.#lookupProbe(type, hex, options.pdqVariant)], options, false);
  }

  /**
   * `lookup` for a batch of caller-supplied hashes (a /v1/lookup body), one report each, in order. With
   * a search pool (MatcherOptions.searchPool), each Hamming type's searches are split across its
   * threads; the answers are the same as `lookup`'s.
   */
  async lookupMany(
    items: readonly { readonly type: HashType; readonly hex: string }[],
    options: MatchOptions & { pdqVariant?: PdqVariant } = {},
  ): Promise<MatchReport[]> {
    const probes = items.map(({ type, hex }) => this.#lookupProbe(type, hex, options.pdqVariant));
    const plan = this.#plan(options);
    if (plan === null) return probes.map(() => this.#empty(false));
    const hits = await this.#searchAll(probes, plan.radius);
    // Lists may have changed while the threads searched: answer with the current ones.
    const now = this.#plan(options);
    return probes.map((probe, i) => {
      if (now === null) return this.#empty(false);
      const best = new Map<number, Hit>();
      keepBest(best, probe, hits[i]!);
      return this.#report(best, now.lists, options, false);
    });
  }

  /** Index hits of every probe, in order; each Hamming type's probes as one batch (search threads). */
  async #searchAll(
    probes: readonly Probe[],
    radius: ReadonlyMap<HashType, number>,
  ): Promise<(readonly IndexMatch[])[]> {
    const hits: (readonly IndexMatch[])[] = probes.map(() => []);
    for (const [type, index] of this.#indexes) {
      const at = probes.flatMap((p, i) => (p.type === type ? [i] : []));
      if (at.length === 0 || index.size === 0) continue;
      const r = radius.get(type) ?? 0;
      const found =
        index instanceof MihIndex
          ? await index.searchMany(
              at.map((i) => probes[i]!.bytes),
              r,
              this.#searchPool,
            )
          : at.map((i) => index.search(probes[i]!.bytes, r));
      at.forEach((i, k) => {
        hits[i] = found[k]!;
      });
    }
    return hits;
  }

  #lookupProbe(type: HashType, hex: string, pdqVariant: PdqVariant | undefined): Probe {
    const bytes = parseHash(type, hex);
    const transform = HASH_TYPES[type].kind === 'exact' ? 'exact' : 'orig';
    return pdqVariant !== undefined && type === 'pdq'
      ? { type, bytes, transform, variant: pdqVariant }
      : { type, bytes, transform };
  }

  #eligibleLists(options: MatchOptions): Map<number, ListRecord> {
    const wanted = options.lists ? new Set(options.lists) : undefined;
    const allowed = options.allowedLists ? new Set(options.allowedLists) : undefined;
    if (wanted) {
      for (const name of wanted) {
        const known = [...this.#lists.values()].some((l) => l.name === name);
        if (!known || (allowed && !allowed.has(name))) {
          throw new HashwardenError('HW_ERR_LIST_NOT_FOUND', `no list named "${name}"`);
        }
      }
    }
    const out = new Map<number, ListRecord>();
    for (const l of this.#lists.values()) {
      if (!l.enabled) continue;
      if (wanted && !wanted.has(l.name)) continue;
      if (allowed && !allowed.has(l.name)) continue;
      out.set(l.id, l);
    }
    return out;
  }

  #threshold(list: ListRecord, type: HashType, options: MatchOptions): number {
    const own = list.thresholds[type] ?? HASH_TYPES[type].defaultThreshold;
    const asked = options.thresholds?.[type];
    return asked === undefined ? own : Math.min(own, asked);
  }

  #run(probes: readonly Probe[], options: MatchOptions, pdqLowQuality: boolean): MatchReport {
    const plan = this.#plan(options);
    if (plan === null || probes.length === 0) return this.#empty(pdqLowQuality);
    const best = new Map<number, Hit>();
    for (const probe of probes) {
      const index = this.#indexes.get(probe.type);
      if (index === undefined || index.size === 0) continue;
      keepBest(best, probe, index.search(probe.bytes, plan.radius.get(probe.type) ?? 0));
    }
    return this.#report(best, plan.lists, options, pdqLowQuality);
  }

  /** Options checked, the eligible lists, and the widest radius they allow per type; null when none. */
  #plan(options: MatchOptions): { lists: Map<number, ListRecord>; radius: Map<HashType, number> } | null {
    if (this.#closed) throw new HashwardenError('HW_ERR_INTERNAL', 'the matcher is closed');
    for (const [type, t] of Object.entries(options.thresholds ?? {})) {
      const info = HASH_TYPES[type as HashType];
      if (
        info === undefined ||
        !Number.isInteger(t) ||
        (t as number) < 0 ||
        (t as number) > info.maxThreshold
      ) {
        throw new HashwardenError(
          'HW_ERR_BAD_OPTION',
          `threshold for ${type} must be an integer from 0 to ${info?.maxThreshold ?? 0}`,
        );
      }
    }
    const lists = this.#eligibleLists(options);
    if (lists.size === 0) return null;
    // The widest radius any eligible list allows per type: the index is searched once per probe at it,
    // and each hit is then held to its own list's threshold.
    const radius = new Map<HashType, number>();
    for (const l of lists.values()) {
      for (const type of HASH_TYPE_NAMES)
        radius.set(type, Math.max(radius.get(type) ?? 0, this.#threshold(l, type, options)));
    }
    return { lists, radius };
  }

  #empty(pdqLowQuality: boolean): MatchReport {
    return {
      matched: false,
      matches: [],
      safelisted: [],
      suppressed: 0,
      pdqLowQuality,
      indexVersion: this.#seq,
    };
  }

  /** Index hits → matches: entries read from the store, held to their list's rules and safelists. */
  #report(
    best: Map<number, Hit>,
    lists: Map<number, ListRecord>,
    options: MatchOptions,
    pdqLowQuality: boolean,
  ): MatchReport {
    if (best.size === 0) return this.#empty(pdqLowQuality);
    const matches: Match[] = [];
    const safelisted: Match[] = [];
    for (const entry of this.#store.entries.getMany([...best.keys()])) {
      const hit = best.get(entry.id)!;
      const list = lists.get(entry.listId);
      if (list === undefined || !isLive(entry)) continue;
      if (hit.probe.variant !== undefined && list.pdqVariant !== hit.probe.variant) continue;
      if (hit.distance > this.#threshold(list, entry.type, options)) continue;
      const m: Match = {
        list: list.name,
        entryId: entry.id,
        externalId: entry.externalId,
        type: entry.type,
        distance: hit.distance,
        transform: hit.probe.transform,
        labels: entry.labels,
      };
      (list.kind === 'safelist' ? safelisted : matches).push(m);
    }
    const safeTypes = new Set(safelisted.map((m) => m.type));
    const kept = matches.filter((m) => !safeTypes.has(m.type));
    kept.sort((a, b) => a.distance - b.distance || a.entryId - b.entryId);
    safelisted.sort((a, b) => a.distance - b.distance || a.entryId - b.entryId);
    return {
      matched: kept.length > 0,
      matches: kept,
      safelisted,
      suppressed: matches.length - kept.length,
      pdqLowQuality,
      indexVersion: this.#seq,
    };
  }

  /** Stops following the log and releases the indexes. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const index of this.#indexes.values()) index.close();
  }
}

/** Ids an `add` range spans (0 for any other change). */
function rangeSize(c: ChangeRecord): number {
  return c.lastEntryId === null || c.entryId === null ? 0 : c.lastEntryId - c.entryId + 1;
}

/** Keeps, per entry id, the probe that came closest. */
function keepBest(best: Map<number, Hit>, probe: Probe, hits: readonly IndexMatch[]): void {
  for (const { id, distance } of hits) {
    const prev = best.get(id);
    if (prev === undefined || distance < prev.distance) best.set(id, { probe, id, distance });
  }
}

function isLive(e: EntryRecord): boolean {
  return e.removedAt === null && !e.disabled;
}
