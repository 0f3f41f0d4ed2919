/** `/v1/lists`: list metadata (lists:read) and changes to it (lists:write), audited with the key's name. */
import type { FastifyPluginAsync } from 'fastify';
import { HashwardenError } from '../../errors.js';
import type { ListInput, ListPatch } from '../../store/types.js';
import { actorOf, allowedLists, canSeeList, requireListAccess } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorResponses, HASH_TYPE_ENUM, PDQ_VARIANT_ENUM } from '../schemas.js';

const listParams = {
  type: 'object',
  required: ['list'],
  properties: { list: { type: 'string', maxLength: 64 } },
} as const;

const listFields = {
  description: { type: 'string', maxLength: 4096 },
  source: { type: 'string', maxLength: 1024 },
  types: { type: 'array', items: { type: 'string', enum: HASH_TYPE_ENUM }, maxItems: 5 },
  kind: { type: 'string', enum: ['blocklist', 'safelist'] },
  pdqVariant: { type: 'string', enum: PDQ_VARIANT_ENUM },
  thresholds: { type: 'object', additionalProperties: { type: 'integer' } },
  enabled: { type: 'boolean' },
} as const;

const common = { tags: ['lists'], security: [{ bearerAuth: [] }] };

/** Registers the list routes. */
export const listRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { store, matcher } = deps;
  // Read-your-writes: the change is in the indexes before the reply (pollers catch up the others).
  const sync = () => {
    if (matcher.ready) matcher.sync();
  };

  app.get(
    '/v1/lists',
    {
      config: { scope: 'lists:read' },
      schema: {
        ...common,
        summary: 'Every list the key may see',
        response: {
          200: { type: 'object', properties: { lists: { type: 'array', items: { $ref: 'List#' } } } },
          ...errorResponses,
        },
      },
    },
    async (request) => ({ lists: store.lists.list().filter((l) => canSeeList(request, l.name)) }),
  );

  app.post<{ Body: ListInput }>(
    '/v1/lists',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Create a list',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 64 }, ...listFields },
        },
        response: { 201: { $ref: 'List#' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const allowed = allowedLists(request);
      if (allowed !== undefined && !allowed.includes(request.body.name)) {
        throw new HashwardenError(
          'HW_ERR_FORBIDDEN',
          'this key may only create the lists it is restricted to',
        );
      }
      const list = store.lists.create(request.body, actorOf(request));
      sync();
      return reply.code(201).send(list);
    },
  );

  app.get<{ Params: { list: string }; Querystring: { counts?: boolean } }>(
    '/v1/lists/:list',
    {
      config: { scope: 'lists:read' },
      schema: {
        ...common,
        summary: 'One list',
        params: listParams,
        querystring: {
          type: 'object',
          properties: {
            counts: {
              type: 'boolean',
              description: 'Add entry counts per type (scans the list: slow on big lists)',
            },
          },
        },
        response: { 200: { $ref: 'List#' }, ...errorResponses },
      },
    },
    async (request) => {
      requireListAccess(request, request.params.list);
      const list = store.lists.require(request.params.list);
      return request.query.counts === true ? { ...list, counts: store.lists.counts(list.id) } : list;
    },
  );

  app.patch<{ Params: { list: string }; Body: ListPatch }>(
    '/v1/lists/:list',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Change a list (only the fields given)',
        params: listParams,
        body: { type: 'object', additionalProperties: false, properties: listFields },
        response: { 200: { $ref: 'List#' }, ...errorResponses },
      },
    },
    async (request) => {
      requireListAccess(request, request.params.list);
      const list = store.lists.update(request.params.list, request.body, actorOf(request));
      sync();
      return list;
    },
  );

  app.delete<{ Params: { list: string } }>(
    '/v1/lists/:list',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Delete a list and all its entries',
        params: listParams,
        response: {
          200: {
            type: 'object',
            properties: { deleted: { type: 'string' }, entries: { type: 'integer' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      requireListAccess(request, request.params.list);
      const { entries } = store.lists.remove(request.params.list, actorOf(request));
      sync();
      return { deleted: request.params.list, entries };
    },
  );
};
