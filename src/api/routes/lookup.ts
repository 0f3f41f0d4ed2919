/**
 * `POST /v1/lookup`: up to 1,000 caller-computed hashes → matches per hash, in request order. The
 * contract is what `hashwarden scan --server` sends (src/service/scan/remote.ts): keep it stable.
 */
import type { FastifyPluginAsync } from 'fastify';
import { HashwardenError } from '../../errors.js';
import { hashProblem } from '../../hash/codec.js';
import type { HashType } from '../../hash/types.js';
import { allowedLists } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { parseMatchOptions, type RequestMatchOptions } from '../options.js';
import { errorResponses, HASH_TYPE_ENUM, PDQ_VARIANT_ENUM } from '../schemas.js';
import { matcherOptions } from './match.js';

/** Most hashes one request may carry. */
export const MAX_LOOKUP_HASHES = 1000;

const hashItem = {
  type: 'object',
  required: ['type', 'value'],
  properties: { type: { type: 'string' }, value: { type: 'string', maxLength: 256 } },
} as const;
const hashArray = { type: 'array', maxItems: MAX_LOOKUP_HASHES, items: hashItem } as const;

interface LookupItem {
  type: string;
  value: string;
}
type LookupBody =
  | LookupItem[]
  | {
      hashes: LookupItem[];
      pdqVariant?: string;
      lists?: string[];
      thresholds?: Record<string, number>;
      includeLowQuality?: boolean;
    };

function isType(t: string): t is HashType {
  return (HASH_TYPE_ENUM as readonly string[]).includes(t);
}

/** Registers `POST /v1/lookup`. */
export const lookupRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { matcher } = deps;
  app.post<{ Body: LookupBody }>(
    '/v1/lookup',
    {
      config: { scope: 'match' },
      schema: {
        summary: 'Look up caller-computed hashes',
        description:
          'Up to 1,000 hashes; results come back in request order. A bare JSON array of {type, value} is accepted too.',
        tags: ['matching'],
        security: [{ bearerAuth: [] }],
        body: {
          anyOf: [
            {
              type: 'object',
              required: ['hashes'],
              properties: {
                hashes: hashArray,
                pdqVariant: { type: 'string', enum: PDQ_VARIANT_ENUM },
                lists: { type: 'array', items: { type: 'string' }, maxItems: 1000 },
                thresholds: { type: 'object', additionalProperties: { type: 'integer' } },
                includeLowQuality: { type: 'boolean' },
              },
            },
            hashArray,
          ],
        },
        response: {
          200: {
            type: 'object',
            properties: {
              results: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    type: { type: 'string' },
                    value: { type: 'string' },
                    matched: { type: 'boolean' },
                    matches: { type: 'array', items: { $ref: 'Match#' } },
                  },
                },
              },
              indexVersion: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (!matcher.ready) throw new HashwardenError('HW_ERR_NOT_READY');
      const body = request.body;
      const items = Array.isArray(body) ? body : body.hashes;
      const parsed: RequestMatchOptions = Array.isArray(body)
        ? {}
        : parseMatchOptions({
            lists: body.lists,
            thresholds: body.thresholds,
            pdqVariant: body.pdqVariant,
            includeLowQuality: body.includeLowQuality,
          });
      // Every item is checked before any is looked up, so an error names the first bad index.
      items.forEach((h, i) => {
        const type = h.type.trim().toLowerCase();
        if (!isType(type)) {
          throw new HashwardenError(
            'HW_ERR_UNKNOWN_HASH_TYPE',
            `hashes[${i}]: unknown hash type "${h.type}"`,
          );
        }
        const problem = hashProblem(type, h.value);
        if (problem !== null) throw new HashwardenError('HW_ERR_BAD_HASH', `hashes[${i}]: ${problem}`);
      });
      const options = {
        ...matcherOptions(parsed, allowedLists(request)),
        ...(parsed.pdqVariant !== undefined ? { pdqVariant: parsed.pdqVariant } : {}),
      };
      let count = 0;
      const queries = items.map((h) => ({ type: h.type.trim().toLowerCase() as HashType, hex: h.value }));
      // One batch: with search threads, the PDQ searches of a request run on every core.
      const reports = await matcher.lookupMany(queries, options);
      const results = reports.map((r, i) => {
        count += r.matches.length;
        for (const m of r.matches) app.metrics.matches.inc({ list: m.list });
        return { type: queries[i]!.type, value: items[i]!.value, matched: r.matched, matches: r.matches };
      });
      request.matchCount = count;
      return { results, indexVersion: matcher.indexVersion };
    },
  );
};
