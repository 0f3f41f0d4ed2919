/**
 * Bulk imports log one change row for all the entries they add, instead of one row per entry: an `add`
 * row with `last_entry_id` set stands for every entry of its list with an id from `entry_id` to
 * `last_entry_id` (inclusive). ADD COLUMN leaves the `op` CHECK and the existing rows untouched (no
 * table rewrite), and a binary that predates this schema refuses to open the database instead of
 * reading a range as a single entry.
 */
export const name = 'change-ranges';

export const sql = `
ALTER TABLE changes ADD COLUMN last_entry_id INTEGER;
`;
