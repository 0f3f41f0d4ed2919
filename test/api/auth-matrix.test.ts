/**
 * The auth matrix generated from the app's own route table (issue 7, phase 2): every route, every
 * method (HEAD included), with no key, a malformed key, a revoked key, a key per scope and a key
 * restricted to another list. A route added without a scope, or missing from SCOPES below, fails here.
 * auth.test.ts keeps the hand-written cases; this file proves that none can be forgotten.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/store/keys.js';
import { bearer, codeOf, type TestApp, testApp, texturedJpeg } from './helpers.js';

/** The scope each route needs; `public` needs no key. Keyed "METHOD /path" as the router spells it. */
const SCOPES: Record<string, Scope | 'public'> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  // Metric labels name every list: lists:read, and routes/metrics.ts refuses list-restricted keys.
  'GET /metrics': 'lists:read',
  'POST /v1/hash': 'match',
  'POST /v1/match': 'match',
  'POST /v1/lookup': 'match',
  'GET /v1/lists': 'lists:read',
  'POST /v1/lists': 'lists:write',
  'GET /v1/lists/:list': 'lists:read',
  'PATCH /v1/lists/:list': 'lists:write',
  'DELETE /v1/lists/:list': 'lists:write',
  'POST /v1/lists/:list/entries': 'lists:write',
  'GET /v1/lists/:list/entries': 'admin',
  'PATCH /v1/lists/:list/entries/:id': 'lists:write',
  'DELETE /v1/lists/:list/entries/:id': 'lists:write',
  'GET /v1/lists/:list/export': 'admin',
  'GET /v1/audit': 'admin',
};

/** "METHOD /full/path" for every route, from `printRoutes` (a tree: indentation is nesting). */
function routeTable(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)(?: \(([^)]*)\))?/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of (m[3] ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      out.push(`${method} ${stack.join('')}`);
    }
  }
  return out.sort();
}

let t: TestApp;
let entryId: number;
let revoked: string;
let writeOnly: string;
const PDQ = 'f'.repeat(64);

beforeAll(async () => {
  t = await testApp();
  for (const name of ['other', 'mine']) t.store.lists.create({ name }, 'test');
  entryId = t.store.entries.add(t.store.lists.require('other'), { type: 'pdq', value: PDQ }, 'test').entry.id;
  t.matcher.sync();
  revoked = t.store.keys.create({ name: 'gone', scopes: ['admin'] }, 'test').key;
  t.store.keys.revoke('gone', 'test');
  writeOnly = t.store.keys.create({ name: 'write-only', scopes: ['lists:write'] }, 'test').key;
});
afterAll(async () => t.close());

const isPublic = (route: string) => SCOPES[route] === 'public' || / \/docs/.test(route);

/** A valid body per route, so a refusal is about the key and the list, not about the payload. */
const PAYLOADS: Record<string, unknown> = {
  'POST /v1/lookup': { hashes: [{ type: 'pdq', value: PDQ }] },
  'POST /v1/lists': { name: 'new-one' },
  'PATCH /v1/lists/:list': { description: 'x' },
  'POST /v1/lists/:list/entries': { type: 'pdq', value: 'e'.repeat(64) },
  'PATCH /v1/lists/:list/entries/:id': { disabled: true },
};

function inject(route: string, list: string, headers: Record<string, string>) {
  const [method, path] = route.split(' ') as [string, string];
  const url = path.replace(':list', list).replace(':id', String(entryId)).replace('*', 'x');
  const payload = PAYLOADS[route];
  return t.app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

describe('auth matrix over the route table', () => {
  it('every route is in SCOPES (or is the docs), and every documented path is a route', async () => {
    const routes = routeTable(t.app);
    const unlisted = routes.filter((r) => !r.startsWith('HEAD ') && !isPublic(r) && SCOPES[r] === undefined);
    expect(unlisted, 'new route: give it a scope in SCOPES and in its config').toEqual([]);
    expect(Object.keys(SCOPES).filter((r) => !routes.includes(r))).toEqual([]);
    const doc = (await t.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, object> };
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods)) {
        expect(routes).toContain(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`);
      }
    }
  });

  it('no key, a malformed key or a revoked key → 401 HW_ERR_UNAUTHORIZED on every non-public route', async () => {
    const routes = routeTable(t.app).filter((r) => !isPublic(r.replace(/^HEAD /, 'GET ')));
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      for (const headers of [{}, bearer('hw_not-a-key'), bearer(revoked), { authorization: 'Basic eDp5' }]) {
        const res = await inject(route, 'other', headers);
        expect([route, res.statusCode], JSON.stringify(headers)).toEqual([route, 401]);
        if (!route.startsWith('HEAD ')) expect(codeOf(res)).toBe('HW_ERR_UNAUTHORIZED');
      }
    }
  });

  it('public routes answer without a key', async () => {
    for (const route of routeTable(t.app).filter((r) => isPublic(r) && !r.includes('*'))) {
      const res = await inject(route, 'other', {});
      expect([route, res.statusCode < 400]).toEqual([route, true]);
    }
  });

  it('a key without the route’s scope → 403; with it, auth passes', async () => {
    const keys: [string, Scope[]][] = [
      [t.keys.match, ['match']],
      [t.keys.read, ['lists:read']],
      [t.keys.write, ['lists:read', 'lists:write']],
      [writeOnly, ['lists:write']],
      [t.keys.admin, ['admin']],
    ];
    for (const route of routeTable(t.app).filter((r) => !isPublic(r.replace(/^HEAD /, 'GET ')))) {
      const scope = SCOPES[route.replace(/^HEAD /, 'GET ')]!;
      for (const [key, scopes] of keys) {
        const allowed = scopes.includes('admin') || scopes.includes(scope as Scope);
        // Allowed callers go to a list that does not exist, so nothing here changes state.
        const res = await inject(route, 'ghost', bearer(key));
        if (allowed) expect([route, scopes, res.statusCode]).not.toEqual([route, scopes, 403]);
        else expect([route, scopes, res.statusCode]).toEqual([route, scopes, 403]);
        expect(res.statusCode).not.toBe(401);
        if (!allowed && !route.startsWith('HEAD ')) expect(codeOf(res)).toBe('HW_ERR_FORBIDDEN');
      }
    }
  });

  it('a key restricted to other lists gets the same 404 as for a list that does not exist', async () => {
    const listRoutes = routeTable(t.app).filter((r) => r.includes(':list') && !r.startsWith('HEAD '));
    for (const route of listRoutes) {
      const hidden = await inject(route, 'other', bearer(t.keys.restricted));
      const missing = await inject(route, 'nope', bearer(t.keys.restricted));
      if (SCOPES[route] === 'admin' || route === 'GET /metrics') {
        expect([route, hidden.statusCode, codeOf(hidden)]).toEqual([route, 403, 'HW_ERR_FORBIDDEN']);
        continue;
      }
      expect([route, hidden.statusCode, codeOf(hidden)]).toEqual([route, 404, 'HW_ERR_LIST_NOT_FOUND']);
      // Nothing tells a hidden list from a missing one but its name.
      expect(hidden.statusCode).toBe(missing.statusCode);
      expect(hidden.body.replaceAll('other', 'NAME')).toBe(missing.body.replaceAll('nope', 'NAME'));
    }
    // The refused requests changed nothing.
    expect(t.store.lists.get('other')).toBeDefined();
    expect(t.store.entries.get(entryId)?.removedAt ?? null).toBeNull();
  });

  it('naming a hidden list in match or lookup options reads exactly like naming a missing one', async () => {
    const image = await texturedJpeg(3, 128);
    const ask = (list: string) => [
      t.app.inject({
        method: 'POST',
        url: `/v1/match?lists=${list}`,
        headers: { ...bearer(t.keys.restricted), 'content-type': 'image/jpeg' },
        payload: image,
      }),
      t.app.inject({
        method: 'POST',
        url: '/v1/lookup',
        headers: bearer(t.keys.restricted),
        payload: { hashes: [{ type: 'pdq', value: PDQ }], lists: [list] },
      }),
    ];
    const hidden = await Promise.all(ask('other'));
    const missing = await Promise.all(ask('nope'));
    for (const [i, res] of hidden.entries()) {
      expect([res.statusCode, codeOf(res)]).toEqual([404, 'HW_ERR_LIST_NOT_FOUND']);
      expect(res.body.replaceAll('other', 'NAME')).toBe(missing[i]!.body.replaceAll('nope', 'NAME'));
    }
  });

  it('failed authentication is limited per address across routes; a valid key keeps its own budget', async () => {
    const s = await testApp({ rateLimitPerMinute: 5 });
    try {
      const routes = routeTable(s.app).filter((r) => !isPublic(r) && !r.startsWith('HEAD '));
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const [method, path] = routes[i % routes.length]!.split(' ') as [string, string];
        const res = await s.app.inject({
          method: method as 'GET',
          url: path.replace(':list', 'x').replace(':id', '1'),
          headers: bearer(`hw_guess-${i}`),
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
      const ok = await s.app.inject({ method: 'GET', url: '/v1/lists', headers: bearer(s.keys.read) });
      expect(ok.statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });
});
