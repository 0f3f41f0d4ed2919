import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ERRORS, fromPlain, HashwardenError, isErrorCode } from '../src/errors.js';

describe('error registry', () => {
  it('documents every code in docs/errors.md with its status, and nothing else', async () => {
    const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\|\s*`(HW_ERR_[A-Z0-9_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]);
    const documented = new Map(rows as [string, number][]);
    for (const [code, { status }] of Object.entries(ERRORS)) {
      expect(documented.get(code), `${code} in docs/errors.md`).toBe(status);
    }
    expect([...documented.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it('uses HW_ERR_ codes and HTTP statuses only', () => {
    for (const [code, { status, message }] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^HW_ERR_[A-Z0-9_]+$/);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
      expect(message.length).toBeGreaterThan(0);
    }
  });

  it('round-trips through its plain form (as across a worker thread)', () => {
    const e = new HashwardenError('HW_ERR_CORRUPT_IMAGE', 'bad bytes');
    expect(e.status).toBe(422);
    const back = fromPlain(JSON.parse(JSON.stringify(e)));
    expect([back.code, back.message, back.status]).toEqual(['HW_ERR_CORRUPT_IMAGE', 'bad bytes', 422]);
    expect(fromPlain({ code: 'NOPE', message: 'x' }).code).toBe('HW_ERR_INTERNAL');
    expect(isErrorCode('HW_ERR_TOO_LARGE')).toBe(true);
  });
});
