/** `GET /v1/audit`: the audit trail, newest first, paged (admin). */
import type { FastifyPluginAsync } from 'fastify';
import { HashwardenError } from '../../errors.js';
import { allowedLists, requireListAccess } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorResponses } from '../schemas.js';

interface AuditQuery {
  list?: string;
  before?: number;
  limit?: number;
}

/** Registers `GET /v1/audit`. */
export const auditRoutes: FastifyPluginAsync<ApiDeps> = async (app, { store }) => {
  app.get<{ Querystring: AuditQuery }>(
    '/v1/audit',
    {
      config: { scope: 'admin' },
      schema: {
        summary: 'The audit trail, newest first',
        tags: ['admin'],
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: {
            list: { type: 'string', description: 'Only rows about this list' },
            before: { type: 'integer', minimum: 1, description: 'The `next` of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'integer' },
                    at: { type: 'string' },
                    actor: { type: 'string' },
                    action: { type: 'string' },
                    listName: { type: ['string', 'null'] },
                    details: { type: 'object', additionalProperties: true },
                  },
                },
              },
              next: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { list, before, limit } = request.query;
      if (list !== undefined) requireListAccess(request, list);
      else if (allowedLists(request) !== undefined) {
        // Key and other-list rows are not for a key restricted to some lists.
        throw new HashwardenError(
          'HW_ERR_FORBIDDEN',
          'a key restricted to lists must ask for one list (?list=)',
        );
      }
      return store.audit.page({
        ...(list !== undefined ? { list } : {}),
        ...(before !== undefined ? { before } : {}),
        ...(limit !== undefined ? { limit } : {}),
      });
    },
  );
};
