/** CSV writing shared by every module that emits CSV (exports, reports, `hash --format csv`). */

/** Quotes a CSV field when it needs it (RFC 4180); empty for undefined and null. */
export function csvField(value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  const s = String(value);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line from fields, with its newline. */
export function csvLine(fields: readonly (string | number | boolean | undefined | null)[]): string {
  return `${fields.map(csvField).join(',')}\n`;
}
