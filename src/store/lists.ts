import type Database from 'better-sqlite3';
import { HashwardenError } from '../errors.js';
import { parseHashType } from '../hash/codec.js';
import { HASH_TYPES, type HashType, PDQ_VARIANTS, type PdqVariant } from '../hash/types.js';
import type { AuditRepository } from './audit.js';
import type { ChangeRepository } from './changes.js';
import { type Db, writeTransaction } from './db.js';
import {
  LIST_KINDS,
  type ListInput,
  type ListKind,
  type ListPatch,
  type ListRecord,
  type Thresholds,
  type TypeCounts,
} from './types.js';
import { checkListName, isoTime, isPlainObject, parseStoredJson } from './util.js';

interface ListRow {
  id: number;
  name: string;
  description: string;
  source: string;
  types: string;
  kind: ListKind;
  pdq_variant: PdqVariant;
  thresholds: string;
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** Lists: create, read, update, remove. Every change is audited and logged in one transaction. */
export class ListRepository {
  readonly #db: Db;
  readonly #audit: AuditRepository;
  readonly #changes: ChangeRepository;
  readonly #insert: Database.Statement;
  readonly #byName: Database.Statement<[string], ListRow>;
  readonly #byId: Database.Statement<[number], ListRow>;
  readonly #all: Database.Statement<[], ListRow>;
  readonly #update: Database.Statement;
  readonly #delete: Database.Statement<[number]>;
  readonly #counts: Database.Statement<
    [number],
    { type: HashType; active: number; disabled: number; removed: number }
  >;

  constructor(db: Db, audit: AuditRepository, changes: ChangeRepository) {
    this.#db = db;
    this.#audit = audit;
    this.#changes = changes;
    this.#insert = db.prepare(
      `INSERT INTO lists (name, description, source, types, kind, pdq_variant, thresholds, enabled, created_at, updated_at)
       VALUES (@name, @description, @source, @types, @kind, @pdqVariant, @thresholds, @enabled, @now, @now)`,
    );
    this.#byName = db.prepare('SELECT * FROM lists WHERE name = ?');
    this.#byId = db.prepare('SELECT * FROM lists WHERE id = ?');
    this.#all = db.prepare('SELECT * FROM lists ORDER BY name');
    this.#update = db.prepare(
      `UPDATE lists SET description = @description, source = @source, types = @types, kind = @kind,
         pdq_variant = @pdqVariant, thresholds = @thresholds, enabled = @enabled, updated_at = @now
       WHERE id = @id`,
    );
    this.#delete = db.prepare('DELETE FROM lists WHERE id = ?');
    this.#counts = db.prepare(
      `SELECT type,
         sum(removed_at IS NULL AND disabled = 0) AS active,
         sum(removed_at IS NULL AND disabled = 1) AS disabled,
         sum(removed_at IS NOT NULL) AS removed
       FROM entries WHERE list_id = ? GROUP BY type ORDER BY type`,
    );
  }

  /** Creates a list; throws HW_ERR_LIST_EXISTS, HW_ERR_INVALID_LIST_NAME or HW_ERR_BAD_OPTION. */
  create(input: ListInput, actor: string): ListRecord {
    const name = checkListName(input.name);
    const types = checkTypes(input.types ?? []);
    const values = {
      name,
      description: input.description ?? '',
      source: input.source ?? '',
      types: JSON.stringify(types),
      kind: checkKind(input.kind ?? 'blocklist'),
      pdqVariant: checkVariant(input.pdqVariant ?? 'reference'),
      thresholds: JSON.stringify(checkThresholds(input.thresholds ?? {})),
      enabled: input.enabled === false ? 0 : 1,
      now: Date.now(),
    };
    return writeTransaction(this.#db, 'creating the list', () => {
      if (this.#byName.get(name) !== undefined) {
        throw new HashwardenError('HW_ERR_LIST_EXISTS', `list "${name}" already exists`);
      }
      const id = Number(this.#insert.run(values).lastInsertRowid);
      const list = toRecord(this.#byId.get(id)!);
      this.#changes.append('list', id, null, null);
      this.#audit.append({ actor, action: 'list.create', listId: id, listName: name, details: { list } });
      return list;
    });
  }

  /** The list called `name`, or undefined. */
  get(name: string): ListRecord | undefined {
    const row = this.#byName.get(name);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The list called `name`; throws HW_ERR_LIST_NOT_FOUND. */
  require(name: string): ListRecord {
    const list = this.get(name);
    if (list === undefined)
      throw new HashwardenError('HW_ERR_LIST_NOT_FOUND', `list "${name}" does not exist`);
    return list;
  }

  /** The list with this id, or undefined. */
  getById(id: number): ListRecord | undefined {
    const row = this.#byId.get(id);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Every list, by name. */
  list(): ListRecord[] {
    return this.#all.all().map(toRecord);
  }

  /** Entry counts per hash type (active, disabled, removed). Scans the list's rows: not for request paths. */
  counts(listId: number): TypeCounts[] {
    return this.#counts.all(listId).map((r) => ({
      type: r.type,
      active: r.active,
      disabled: r.disabled,
      removed: r.removed,
    }));
  }

  /**
   * Changes the given fields. Switching `enabled` also logs one enable/disable change per active
   * entry, so followers add or drop them without reloading.
   */
  update(name: string, patch: ListPatch, actor: string): ListRecord {
    return writeTransaction(this.#db, 'updating the list', () => {
      const before = this.require(name);
      const next = {
        id: before.id,
        description: patch.description ?? before.description,
        source: patch.source ?? before.source,
        types: JSON.stringify(patch.types === undefined ? before.types : checkTypes(patch.types)),
        kind: checkKind(patch.kind ?? before.kind),
        pdqVariant: checkVariant(patch.pdqVariant ?? before.pdqVariant),
        thresholds: JSON.stringify(
          patch.thresholds === undefined ? before.thresholds : checkThresholds(patch.thresholds),
        ),
        enabled: (patch.enabled ?? before.enabled) ? 1 : 0,
        now: Date.now(),
      };
      this.#update.run(next);
      const after = toRecord(this.#byId.get(before.id)!);
      let entries = 0;
      if (after.enabled !== before.enabled) {
        entries = this.#changes.appendForActiveEntries(after.enabled ? 'enable' : 'disable', before.id);
      }
      this.#changes.append('list', before.id, null, null);
      this.#audit.append({
        actor,
        action: 'list.update',
        listId: before.id,
        listName: name,
        details: { changed: changedFields(before, after), entries },
      });
      return after;
    });
  }

  /** Deletes the list and all its entries (logging a remove change for each active one). */
  remove(name: string, actor: string): { entries: number } {
    return writeTransaction(this.#db, 'removing the list', () => {
      const list = this.require(name);
      const counts = this.counts(list.id);
      const removed = this.#changes.appendForActiveEntries('remove', list.id);
      this.#changes.append('list', list.id, null, null);
      this.#delete.run(list.id);
      const entries = counts.reduce((n, c) => n + c.active + c.disabled + c.removed, 0);
      this.#audit.append({
        actor,
        action: 'list.remove',
        listId: list.id,
        listName: name,
        details: { entries, activeRemoved: removed, counts },
      });
      return { entries };
    });
  }
}

function toRecord(r: ListRow): ListRecord {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    source: r.source,
    types: parseStoredJson<HashType[]>(r.types, 'list types'),
    kind: r.kind,
    pdqVariant: r.pdq_variant,
    thresholds: parseStoredJson<Thresholds>(r.thresholds, 'list thresholds'),
    enabled: r.enabled === 1,
    createdAt: isoTime(r.created_at),
    updatedAt: isoTime(r.updated_at),
  };
}

function changedFields(before: ListRecord, after: ListRecord): string[] {
  const keys = ['description', 'source', 'types', 'kind', 'pdqVariant', 'thresholds', 'enabled'] as const;
  return keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
}

function checkTypes(types: readonly string[]): HashType[] {
  return [...new Set(types.map(parseHashType))].sort();
}

function checkKind(kind: string): ListKind {
  if (!(LIST_KINDS as readonly string[]).includes(kind)) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', `list kind must be one of ${LIST_KINDS.join(', ')}`);
  }
  return kind as ListKind;
}

function checkVariant(variant: string): PdqVariant {
  if (!(PDQ_VARIANTS as readonly string[]).includes(variant)) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', `PDQ variant must be one of ${PDQ_VARIANTS.join(', ')}`);
  }
  return variant as PdqVariant;
}

/** Every radius an integer from 0 to the type's maxThreshold: a list can never loosen the registry. */
export function checkThresholds(thresholds: unknown): Thresholds {
  if (!isPlainObject(thresholds))
    throw new HashwardenError('HW_ERR_BAD_OPTION', 'thresholds must be an object');
  const out: Thresholds = {};
  for (const [key, value] of Object.entries(thresholds)) {
    const type = parseHashType(key);
    const max = HASH_TYPES[type].maxThreshold;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      throw new HashwardenError(
        'HW_ERR_BAD_OPTION',
        `the ${type} threshold must be an integer from 0 to ${max}`,
      );
    }
    out[type] = value;
  }
  return out;
}
