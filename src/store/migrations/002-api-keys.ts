/**
 * API keys: only the SHA-256 of a key is stored, never the key. `scopes` and `lists` are JSON arrays;
 * `lists` NULL means the key may use every list.
 */
export const name = 'api-keys';

export const sql = `
CREATE TABLE api_keys (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE,
  key_hash   BLOB    NOT NULL UNIQUE,               -- SHA-256 of the key
  prefix     TEXT    NOT NULL,                      -- first characters, to recognise a key in listings
  scopes     TEXT    NOT NULL,                      -- JSON array
  lists      TEXT,                                  -- JSON array of list names, NULL = all lists
  created_at INTEGER NOT NULL,
  created_by TEXT    NOT NULL,
  revoked_at INTEGER,
  revoked_by TEXT
);
`;
