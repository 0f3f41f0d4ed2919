/**
 * A database that cannot be written (issue 7): read-only file or directory, full disk. Every write
 * fails with HW_ERR_DATABASE, closing the store does not throw over it, and the file is intact.
 * Regression tests for raw SqliteErrors from list/entry/key writes, from import staging on a full
 * disk, and from Store.close() on a read-only database.
 */
import { describe, expect, it } from 'vitest';
import { checkDatabaseFailure, type DbAction, type DbCheck } from './db-checks.js';

const ACTIONS: readonly DbAction[] = ['create-list', 'create-key', 'remove-entry', 'import'];
const SCENARIOS: readonly DbCheck['scenario'][] = ['read-only file', 'read-only directory', 'full disk'];

describe.skipIf(process.platform === 'win32')('a database that cannot be written', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario}: every write is HW_ERR_DATABASE and nothing changes`, async () => {
      for (const action of ACTIONS) {
        const r = await checkDatabaseFailure(scenario, action);
        expect({ action, outcome: r.outcome, closeThrew: r.closeThrew }).toEqual({
          action,
          outcome: 'HashwardenError HW_ERR_DATABASE',
          closeThrew: false,
        });
        expect(r.integrity).toBe('ok');
        expect(r.unchanged, action).toBe(true);
      }
    });
  }

  it('the disk fills while an import is staging its rows: HW_ERR_DATABASE, nothing changes', async () => {
    const r = await checkDatabaseFailure('disk fills during import', 'import');
    expect({ outcome: r.outcome, closeThrew: r.closeThrew }).toEqual({
      outcome: 'HashwardenError HW_ERR_DATABASE',
      closeThrew: false,
    });
    expect(r.integrity).toBe('ok');
    expect(r.unchanged).toBe(true);
  });
});
