/** Every route: no key → 401, a key without the scope → 403, a key restricted to other lists → 404. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, codeOf, type TestApp, testApp } from './helpers.js';

let t: TestApp;
let entryId: number;
const PDQ = 'f'.repeat(64);

beforeAll(async () => {
  t = await testApp();
  for (const name of ['other', 'mine']) t.store.lists.create({ name }, 'test');
  entryId = t.store.entries.add(t.store.lists.require('other'), { type: 'pdq', value: PDQ }, 'test').entry.id;
  t.matcher.sync();
});
afterAll(async () => t.close());

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';
interface RouteCase {
  method: Method;
  url: string;
  /** A key that lacks the route's scope. */
  wrong: keyof TestApp['keys'];
  payload?: unknown;
  /** What a key restricted to "mine" gets on list "other" (undefined: not list-specific). */
  restricted?: { status: number; code: string };
}

const notFound = { status: 404, code: 'HW_ERR_LIST_NOT_FOUND' };
const ROUTES: RouteCase[] = [
  { method: 'POST', url: '/v1/hash', wrong: 'read' },
  { method: 'POST', url: '/v1/match?lists=other', wrong: 'write', restricted: notFound },
  {
    method: 'POST',
    url: '/v1/lookup',
    wrong: 'read',
    payload: { hashes: [{ type: 'pdq', value: PDQ }], lists: ['other'] },
    restricted: notFound,
  },
  { method: 'GET', url: '/v1/lists', wrong: 'match' },
  { method: 'POST', url: '/v1/lists', wrong: 'read', payload: { name: 'new-one' } },
  { method: 'GET', url: '/v1/lists/other', wrong: 'match', restricted: notFound },
  {
    method: 'PATCH',
    url: '/v1/lists/other',
    wrong: 'read',
    payload: { description: 'x' },
    restricted: notFound,
  },
  { method: 'DELETE', url: '/v1/lists/other', wrong: 'read', restricted: notFound },
  {
    method: 'POST',
    url: '/v1/lists/other/entries',
    wrong: 'read',
    payload: { type: 'pdq', value: 'e'.repeat(64) },
    restricted: notFound,
  },
  {
    method: 'GET',
    url: '/v1/lists/other/entries',
    wrong: 'write',
    restricted: { status: 403, code: 'HW_ERR_FORBIDDEN' },
  },
  {
    method: 'PATCH',
    url: '/v1/lists/other/entries/ID',
    wrong: 'read',
    payload: { disabled: true },
    restricted: notFound,
  },
  { method: 'DELETE', url: '/v1/lists/other/entries/ID', wrong: 'read', restricted: notFound },
  {
    method: 'GET',
    url: '/v1/lists/other/export',
    wrong: 'write',
    restricted: { status: 403, code: 'HW_ERR_FORBIDDEN' },
  },
  { method: 'GET', url: '/v1/audit', wrong: 'write', restricted: { status: 403, code: 'HW_ERR_FORBIDDEN' } },
  { method: 'GET', url: '/metrics', wrong: 'match', restricted: { status: 403, code: 'HW_ERR_FORBIDDEN' } },
];

function inject(r: RouteCase, headers: Record<string, string>) {
  return t.app.inject({
    method: r.method,
    url: r.url.replace('ID', String(entryId)),
    headers,
    ...(r.payload !== undefined ? { payload: r.payload as object } : {}),
  });
}

describe('authentication and scopes', () => {
  it.each(ROUTES)('$method $url: no key 401, bad key 401, wrong scope 403', async (r) => {
    const none = await inject(r, {});
    expect([none.statusCode, codeOf(none)]).toEqual([401, 'HW_ERR_UNAUTHORIZED']);
    const bad = await inject(r, bearer('hw_not-a-key'));
    expect([bad.statusCode, codeOf(bad)]).toEqual([401, 'HW_ERR_UNAUTHORIZED']);
    const wrong = await inject(r, bearer(t.keys[r.wrong]));
    expect([wrong.statusCode, codeOf(wrong)]).toEqual([403, 'HW_ERR_FORBIDDEN']);
  });

  it.each(ROUTES.filter((r) => r.restricted !== undefined))(
    '$method $url: a key restricted to other lists is refused',
    async (r) => {
      const res = await inject(r, bearer(t.keys.restricted));
      expect([res.statusCode, codeOf(res)]).toEqual([r.restricted!.status, r.restricted!.code]);
    },
  );

  it('shows a restricted key only its lists, and lets it create only those', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/lists', headers: bearer(t.keys.restricted) });
    expect((res.json() as { lists: { name: string }[] }).lists.map((l) => l.name)).toEqual(['mine']);
    const create = await t.app.inject({
      method: 'POST',
      url: '/v1/lists',
      headers: bearer(t.keys.restricted),
      payload: { name: 'elsewhere' },
    });
    expect(create.statusCode).toBe(403);
  });

  it('matches a restricted key only against its lists', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: bearer(t.keys.restricted),
      payload: [{ type: 'pdq', value: PDQ }],
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { results: { matched: boolean }[] }).results[0]!.matched).toBe(false);
    const all = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: bearer(t.keys.match),
      payload: [{ type: 'pdq', value: PDQ }],
    });
    expect((all.json() as { results: { matched: boolean }[] }).results[0]!.matched).toBe(true);
  });

  it('refuses a revoked key at once', async () => {
    const { key } = t.store.keys.create({ name: 'short-lived', scopes: ['match'] }, 'test');
    const ok = await t.app.inject({ method: 'POST', url: '/v1/lookup', headers: bearer(key), payload: [] });
    expect(ok.statusCode).toBe(200);
    t.store.keys.revoke('short-lived', 'test');
    const after = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: bearer(key),
      payload: [],
    });
    expect(after.statusCode).toBe(401);
  });

  it('keeps probes and docs public', async () => {
    for (const url of ['/healthz', '/readyz', '/docs/json']) {
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
  });
});
