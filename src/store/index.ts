/** The hash-list store's public surface. */
export { type AuditInput, AuditRepository } from './audit.js';
export { ChangeRepository } from './changes.js';
export { type Db, DEFAULT_DB_PATH, type OpenOptions, openDatabase, schemaVersion } from './db.js';
export { type EntryInput, EntryRepository } from './entries.js';
export { EXPORT_FORMATS, type ExportFormat } from './export.js';
export { IMPORT_FORMATS, type ImportFormat } from './import/formats.js';
export {
  type ImportOptions,
  type ImportProgress,
  ImportRejectedError,
  type ImportSummary,
  type RejectedLine,
} from './import/importer.js';
export type { ImportSource } from './import/lines.js';
export { PARSE_THREAD_MIN_BYTES } from './import/parse-thread.js';
export { type ApiKeyRecord, hasScope, KeyRepository, SCOPES, type Scope } from './keys.js';
export { checkThresholds, ListRepository } from './lists.js';
export { Store } from './store.js';
export * from './types.js';
