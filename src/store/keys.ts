import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import { HashwardenError } from '../errors.js';
import type { AuditRepository } from './audit.js';
import { type Db, writeTransaction } from './db.js';
import { isoTime, isoTimeOrNull, parseStoredJson } from './util.js';

/** What a key may do. `admin` implies every other scope. */
export type Scope = 'match' | 'lists:read' | 'lists:write' | 'admin';
export const SCOPES: readonly Scope[] = Object.freeze(['match', 'lists:read', 'lists:write', 'admin']);

/** An API key as stored: never the key itself. */
export interface ApiKeyRecord {
  readonly id: number;
  readonly name: string;
  /** The first characters of the key, to recognise it in listings. */
  readonly prefix: string;
  readonly scopes: readonly Scope[];
  /** List names the key is restricted to; null means every list. */
  readonly lists: readonly string[] | null;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly revokedAt: string | null;
}

interface KeyRow {
  id: number;
  name: string;
  key_hash: Buffer;
  prefix: string;
  scopes: string;
  lists: string | null;
  created_at: number;
  created_by: string;
  revoked_at: number | null;
  revoked_by: string | null;
}

const KEY_NAME = /^[A-Za-z0-9._@-]{1,64}$/;
const KEY_PREFIX = 'hw_';

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function toRecord(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: parseStoredJson<Scope[]>(r.scopes, 'key scopes'),
    lists: r.lists === null ? null : parseStoredJson<string[]>(r.lists, 'key lists'),
    createdAt: isoTime(r.created_at),
    createdBy: r.created_by,
    revokedAt: isoTimeOrNull(r.revoked_at),
  };
}

/** True when `key` grants `scope` (admin grants everything). */
export function hasScope(key: Pick<ApiKeyRecord, 'scopes'>, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

/** API keys: create (returns the key once), verify, list, revoke. Only SHA-256 digests are stored. */
export class KeyRepository {
  readonly #db: Db;
  readonly #audit: AuditRepository;
  readonly #insert: Database.Statement;
  readonly #byHash: Database.Statement<[Buffer], KeyRow>;
  readonly #byName: Database.Statement<[string], KeyRow>;
  readonly #all: Database.Statement<[], KeyRow>;
  readonly #revoke: Database.Statement<[number, string, string]>;
  readonly #countActive: Database.Statement<[], { n: number }>;

  constructor(db: Db, audit: AuditRepository) {
    this.#db = db;
    this.#audit = audit;
    this.#insert = db.prepare(
      'INSERT INTO api_keys (name, key_hash, prefix, scopes, lists, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
    this.#byHash = db.prepare('SELECT * FROM api_keys WHERE key_hash = ?');
    this.#byName = db.prepare('SELECT * FROM api_keys WHERE name = ?');
    this.#all = db.prepare('SELECT * FROM api_keys ORDER BY id');
    this.#revoke = db.prepare(
      'UPDATE api_keys SET revoked_at = ?, revoked_by = ? WHERE name = ? AND revoked_at IS NULL',
    );
    this.#countActive = db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL');
  }

  /**
   * Creates a key and returns it with its record. The key text is returned only here: it is not
   * stored and cannot be shown again.
   */
  create(
    input: { name: string; scopes: readonly Scope[]; lists?: readonly string[] | null },
    actor: string,
  ): { key: string; record: ApiKeyRecord } {
    if (!KEY_NAME.test(input.name)) {
      throw new HashwardenError(
        'HW_ERR_BAD_OPTION',
        'key names are 1 to 64 characters: letters, digits, . _ @ -',
      );
    }
    if (input.scopes.length === 0 || input.scopes.some((s) => !SCOPES.includes(s))) {
      throw new HashwardenError('HW_ERR_BAD_OPTION', `scopes must be some of: ${SCOPES.join(', ')}`);
    }
    if (this.#byName.get(input.name) !== undefined) {
      throw new HashwardenError('HW_ERR_KEY_EXISTS', `a key named "${input.name}" exists already`);
    }
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const scopes = [...new Set(input.scopes)].sort();
    const lists = input.lists == null ? null : [...new Set(input.lists)].sort();
    writeTransaction(this.#db, 'creating the key', () => {
      this.#insert.run(
        input.name,
        sha256(key),
        key.slice(0, KEY_PREFIX.length + 6),
        JSON.stringify(scopes),
        lists === null ? null : JSON.stringify(lists),
        Date.now(),
        actor,
      );
      this.#audit.append({ actor, action: 'key.create', details: { key: input.name, scopes, lists } });
    });
    return { key, record: toRecord(this.#byName.get(input.name)!) };
  }

  /**
   * The active key whose text is `presented`, or undefined. The lookup is by SHA-256 digest (so the
   * database comparison reveals nothing about the key), and the digests are compared again in
   * constant time.
   */
  verify(presented: string): ApiKeyRecord | undefined {
    if (presented.length === 0 || presented.length > 256) return undefined;
    const digest = sha256(presented);
    const row = this.#byHash.get(digest);
    if (row === undefined || row.revoked_at !== null) return undefined;
    if (!timingSafeEqual(Buffer.from(row.key_hash), digest)) return undefined;
    return toRecord(row);
  }

  list(): ApiKeyRecord[] {
    return this.#all.all().map(toRecord);
  }

  get(name: string): ApiKeyRecord | undefined {
    const row = this.#byName.get(name);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Revokes a key by name (idempotent on an already revoked key); throws when no key has the name. */
  revoke(name: string, actor: string): ApiKeyRecord {
    writeTransaction(this.#db, 'revoking the key', () => {
      if (this.#byName.get(name) === undefined) {
        throw new HashwardenError('HW_ERR_KEY_NOT_FOUND', `no key named "${name}"`);
      }
      const changed = this.#revoke.run(Date.now(), actor, name).changes;
      if (changed > 0) this.#audit.append({ actor, action: 'key.revoke', details: { key: name } });
    });
    return toRecord(this.#byName.get(name)!);
  }

  /** Number of keys not revoked (the server creates a first admin key when there is none). */
  activeCount(): number {
    return this.#countActive.get()?.n ?? 0;
  }
}
