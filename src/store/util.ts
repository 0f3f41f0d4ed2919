import { HashwardenError } from '../errors.js';

const LIST_NAME = /^[a-z0-9-]{1,64}$/;

/** Validates a list name (lowercase slug, 1–64 characters); throws HW_ERR_INVALID_LIST_NAME. */
export function checkListName(name: string): string {
  if (!LIST_NAME.test(name)) {
    throw new HashwardenError(
      'HW_ERR_INVALID_LIST_NAME',
      `invalid list name ${JSON.stringify(name)}: use a-z, 0-9 and -, 1 to 64 characters`,
    );
  }
  return name;
}

/** Validates an actor name (who is recorded in audit rows). */
export function checkActor(actor: string): string {
  const a = actor.trim();
  if (a.length === 0 || a.length > 200) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', 'the actor name must be 1 to 200 characters');
  }
  return a;
}

/** ms since the epoch as stored → ISO 8601 text. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Optional stored time → ISO text or null. */
export function isoTimeOrNull(ms: number | null): string | null {
  return ms === null ? null : isoTime(ms);
}

/** Parses stored JSON text that the store itself wrote; a broken value is a database fault. */
export function parseStoredJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new HashwardenError('HW_ERR_DATABASE', `stored ${what} is not valid JSON`, { cause: err });
  }
}

/** Validates a page size: 1..max, default `fallback`. */
export function pageLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', `limit must be an integer from 1 to ${max}`);
  }
  return limit;
}

/** True for a plain JSON object (not an array or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
