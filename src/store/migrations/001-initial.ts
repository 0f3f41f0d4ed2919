/**
 * The first schema: lists, entries, audit and the change log. Never edit a migration once it has
 * shipped; add the next numbered file instead.
 */
export const name = 'initial';

export const sql = `
CREATE TABLE lists (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  name        TEXT    NOT NULL UNIQUE,
  description TEXT    NOT NULL DEFAULT '',
  source      TEXT    NOT NULL DEFAULT '',
  types       TEXT    NOT NULL DEFAULT '[]',          -- JSON array of hash type names
  kind        TEXT    NOT NULL DEFAULT 'blocklist' CHECK (kind IN ('blocklist', 'safelist')),
  pdq_variant TEXT    NOT NULL DEFAULT 'reference' CHECK (pdq_variant IN ('reference', 'full')),
  thresholds  TEXT    NOT NULL DEFAULT '{}',          -- JSON object: hash type -> radius
  enabled     INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_at  INTEGER NOT NULL,                       -- ms since the epoch
  updated_at  INTEGER NOT NULL
);

-- AUTOINCREMENT so an entry id is never reused: followers of the change log key their indexes on it.
CREATE TABLE entries (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  list_id     INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
  type        TEXT    NOT NULL,
  value       BLOB    NOT NULL,
  external_id TEXT,
  labels      TEXT,                                   -- JSON object, NULL when none
  added_at    INTEGER NOT NULL,
  added_by    TEXT    NOT NULL,
  disabled    INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
  removed_at  INTEGER,
  removed_by  TEXT
);
CREATE UNIQUE INDEX entries_list_type_value ON entries (list_id, type, value);
-- Keyset pages and exports of one list walk this index instead of the whole table.
CREATE INDEX entries_list_id ON entries (list_id, id);
-- Tiny (new rows are never in it): lets an import skip the revive pass when nothing was removed.
CREATE INDEX entries_removed ON entries (list_id) WHERE removed_at IS NOT NULL;

-- No foreign keys: the trail must outlive the list it describes.
CREATE TABLE audit (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  actor     TEXT    NOT NULL,
  action    TEXT    NOT NULL,
  list_id   INTEGER,
  list_name TEXT,
  details   TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_list_name ON audit (list_name, id);

-- The log every process follows to keep its in-memory indexes current. entry_id is NULL for
-- list-level rows (op 'list': metadata such as thresholds or kind changed).
CREATE TABLE changes (
  seq      INTEGER PRIMARY KEY AUTOINCREMENT,
  entry_id INTEGER,
  list_id  INTEGER NOT NULL,
  type     TEXT,
  op       TEXT    NOT NULL CHECK (op IN ('add', 'remove', 'disable', 'enable', 'list'))
);
`;
