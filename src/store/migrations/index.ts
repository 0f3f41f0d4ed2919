import * as m001 from './001-initial.js';
import * as m002 from './002-api-keys.js';
import * as m003 from './003-change-ranges.js';

/** One schema step: applied once, in order, inside its own transaction. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * Every migration, append-only: the version is the position (1-based). Never reorder, edit or remove
 * one that has shipped; a later module (e.g. api_keys) adds the next file and one line here.
 */
export const MIGRATIONS: readonly Migration[] = Object.freeze(
  [m001, m002, m003].map((m, i) => Object.freeze({ version: i + 1, name: m.name, sql: m.sql })),
);
