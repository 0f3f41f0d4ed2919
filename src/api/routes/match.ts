/** `POST /v1/match`: one image in, its hashes and the matches of every list the key may see. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HashwardenError } from '../../errors.js';
import type { MatchOptions, QueryHashes } from '../../service/types.js';
import { allowedLists, requireListAccess } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { parseMatchOptions, type RequestMatchOptions } from '../options.js';
import { errorResponses, matchQuerySchema } from '../schemas.js';
import { readUpload } from '../upload.js';
import { hashesOf, hashInPool } from './hash.js';

/** The matcher's options from the request's, with the key's list restriction. */
export function matcherOptions(o: RequestMatchOptions, allowed: readonly string[] | undefined): MatchOptions {
  return {
    ...(o.lists !== undefined ? { lists: o.lists } : {}),
    ...(o.thresholds !== undefined ? { thresholds: o.thresholds } : {}),
    ...(o.dihedral !== undefined ? { dihedral: o.dihedral } : {}),
    ...(o.includeLowQuality !== undefined ? { includeLowQuality: o.includeLowQuality } : {}),
    ...(allowed !== undefined ? { allowedLists: allowed } : {}),
  };
}

/** Throws HW_ERR_LIST_NOT_FOUND for a named list the key may not see or that does not exist. */
function checkLists(
  request: FastifyRequest,
  names: readonly string[] | undefined,
  known?: Set<string>,
): void {
  for (const name of names ?? []) {
    requireListAccess(request, name);
    if (known !== undefined && !known.has(name)) {
      // Word for word what requireListAccess says about a hidden list: the two must not be told apart.
      throw new HashwardenError('HW_ERR_LIST_NOT_FOUND', `list "${name}" does not exist`);
    }
  }
}

const matchArray = { type: 'array', items: { $ref: 'Match#' } } as const;

/** Registers `POST /v1/match`. */
export const matchRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { matcher } = deps;
  app.post<{ Querystring: Record<string, unknown> }>(
    '/v1/match',
    {
      config: { scope: 'match' },
      schema: {
        summary: 'Hash one image and match it against the lists',
        description:
          'The image as multipart field `image` (options may be multipart fields too), or as the raw body. ' +
          'Thresholds can only tighten a list’s own. Low-quality PDQ is reported, not matched, unless asked.',
        tags: ['matching'],
        security: [{ bearerAuth: [] }],
        querystring: matchQuerySchema,
        response: {
          200: {
            type: 'object',
            properties: {
              matched: { type: 'boolean' },
              matches: matchArray,
              safelisted: matchArray,
              suppressed: { type: 'integer' },
              pdqLowQuality: { type: 'boolean' },
              hashes: { $ref: 'Hashes#' },
              image: { $ref: 'Image#' },
              indexVersion: { type: 'integer' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      // Refuse before reading or hashing anything: the answer would be wrong while indexes load.
      if (!matcher.ready) throw new HashwardenError('HW_ERR_NOT_READY');
      // Query options are checked before the upload is read and hashed: a bad option costs nothing.
      checkLists(
        request,
        parseMatchOptions(request.query).lists,
        new Set(matcher.lists().map((l) => l.name)),
      );
      const upload = await readUpload(request);
      const options = parseMatchOptions({ ...request.query, ...upload.fields });
      const variants = options.pdqVariant !== undefined ? [options.pdqVariant] : matcher.neededPdqVariants();
      const dihedral = options.dihedral !== false;
      const result = await hashInPool(
        app,
        deps,
        upload.bytes,
        { ...matcher.hashOptions({ dihedral }), pdqVariants: variants },
        'match',
      );
      const query: QueryHashes = {
        pdq: result.pdq,
        ...(result.pdqTrimmed !== undefined ? { pdqTrimmed: result.pdqTrimmed } : {}),
        phash: result.phash,
        md5: result.md5,
        sha1: result.sha1,
        sha256: result.sha256,
      };
      const report = await matcher.matchAsync(query, matcherOptions(options, allowedLists(request)));
      request.matchCount = report.matches.length;
      for (const m of report.matches) app.metrics.matches.inc({ list: m.list });
      const shown = variants.includes('reference') ? 'reference' : (variants[0] ?? 'reference');
      return {
        ...report,
        hashes: hashesOf(result, shown, false),
        image: { format: result.format, width: result.width, height: result.height },
      };
    },
  );
};
