/**
 * API keys: `Authorization: Bearer <key>` checked against the store's SHA-256 digests, per-key rate
 * limiting, and the scope each route declares in its `config.scope`. Runs in `onRequest`, before any
 * body is read, so an unauthenticated client cannot make the server parse (or buffer) anything.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { HashwardenError } from '../errors.js';
import type { ApiKeyRecord, Scope } from '../store/keys.js';
import type { Store } from '../store/store.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified API key, or null (public routes, or before authentication). */
    apiKey: ApiKeyRecord | null;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route; absent on public routes. */
    scope?: Scope;
    /** No key needed, no rate limit (health probes, docs). */
    public?: boolean;
  }
}

/** True when `key` grants `scope` (admin grants everything). Mirrors the store's rule. */
export function keyHasScope(key: Pick<ApiKeyRecord, 'scopes'>, scope: Scope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

/** The lists a request's key may see: undefined for every list. */
export function allowedLists(request: FastifyRequest): readonly string[] | undefined {
  return request.apiKey?.lists ?? undefined;
}

/** True when the request's key may see the list named `name`. */
export function canSeeList(request: FastifyRequest, name: string): boolean {
  const lists = allowedLists(request);
  return lists === undefined || lists.includes(name);
}

/**
 * Throws HW_ERR_LIST_NOT_FOUND when the key is restricted to other lists: a restricted key learns
 * nothing about lists it may not see, not even that they exist.
 */
export function requireListAccess(request: FastifyRequest, name: string): void {
  if (!canSeeList(request, name)) {
    throw new HashwardenError('HW_ERR_LIST_NOT_FOUND', `list "${name}" does not exist`);
  }
}

/** The actor recorded in audit rows: the key's name. */
export function actorOf(request: FastifyRequest): string {
  return request.apiKey?.name ?? 'anonymous';
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * Adds the authentication hook. `rateLimit` is the limiter hook (from @fastify/rate-limit); it runs
 * after the key is identified, so authenticated callers are limited per key name and everyone else,
 * failed attempts included, per client address.
 */
export function installAuth(app: FastifyInstance, store: Store, rateLimit: onRequestAsyncHookHandler): void {
  app.decorateRequest('apiKey', null);
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const config = request.routeOptions.config;
    // Unknown routes carry no config: they are limited (probing) and then answered 404.
    const isPublic = config.public === true || request.routeOptions.url?.startsWith('/docs') === true;
    if (isPublic) return;
    const presented = bearerOf(request);
    request.apiKey = presented === undefined ? null : (store.keys.verify(presented) ?? null);
    await rateLimit.call(app, request, reply);
    if (reply.sent) return;
    const scope = config.scope;
    if (scope === undefined) return;
    if (request.apiKey === null) {
      throw new HashwardenError(
        'HW_ERR_UNAUTHORIZED',
        presented === undefined ? undefined : 'The API key is unknown or revoked',
      );
    }
    if (!keyHasScope(request.apiKey, scope)) {
      throw new HashwardenError('HW_ERR_FORBIDDEN', `this route needs the "${scope}" scope`);
    }
  });
}
