/** `POST /v1/hash`: one image in, its hashes out. */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { PdqVariant } from '../../hash/types.js';
import type { HashOptions, HashResult } from '../../worker/protocol.js';
import type { ApiDeps } from '../deps.js';
import { parseBool, parsePdqVariant } from '../options.js';
import { errorResponses, PDQ_VARIANT_ENUM } from '../schemas.js';
import { readUpload } from '../upload.js';

/**
 * Hashes `bytes` in the pool with the server's decode limits, timing the task for /metrics. The
 * buffer is moved to the worker when it owns its memory: the caller must not use it afterwards.
 */
export async function hashInPool(
  app: FastifyInstance,
  deps: ApiDeps,
  bytes: Uint8Array,
  options: Pick<HashOptions, 'pdqVariants' | 'dihedral'>,
  route: string,
): Promise<HashResult> {
  const { config } = deps;
  const end = app.metrics.hashSeconds.startTimer({ route });
  try {
    return await deps.pool.hash(bytes, {
      ...options,
      limits: {
        maxInputBytes: config.maxBodyBytes,
        maxPixels: config.maxPixels,
        timeoutSeconds: config.decodeTimeoutSeconds,
      },
    });
  } finally {
    end();
  }
}

/** The `hashes` object of a reply: one PDQ variant (with its dihedrals when computed). */
export function hashesOf(result: HashResult, variant: PdqVariant, withDihedral: boolean) {
  const pdq = result.pdq[variant];
  return {
    ...(pdq === undefined
      ? {}
      : {
          pdq: {
            value: pdq.hex,
            quality: pdq.quality,
            variant,
            ...(withDihedral && pdq.dihedral !== undefined ? { dihedral: pdq.dihedral } : {}),
          },
        }),
    phash: result.phash,
    md5: result.md5,
    sha1: result.sha1,
    sha256: result.sha256,
  };
}

interface HashQuery {
  pdqVariant?: PdqVariant;
  dihedral?: boolean;
}

/** Registers `POST /v1/hash`. */
export const hashRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  app.post<{ Querystring: HashQuery }>(
    '/v1/hash',
    {
      config: { scope: 'match' },
      schema: {
        summary: 'Hash one image',
        description:
          'The image as multipart field `image`, or as the raw body (`image/*` or `application/octet-stream`). ' +
          'Options may also be sent as multipart fields.',
        tags: ['matching'],
        security: [{ bearerAuth: [] }],
        querystring: {
          type: 'object',
          properties: {
            pdqVariant: { type: 'string', enum: PDQ_VARIANT_ENUM, default: 'reference' },
            dihedral: { type: 'boolean', description: 'Also return the 8 dihedral PDQ hashes' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { hashes: { $ref: 'Hashes#' }, image: { $ref: 'Image#' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const upload = await readUpload(request);
      const raw = { ...request.query, ...upload.fields };
      const variant = parsePdqVariant(raw.pdqVariant) ?? 'reference';
      const dihedral = parseBool('dihedral', raw.dihedral) ?? false;
      const result = await hashInPool(app, deps, upload.bytes, { pdqVariants: [variant], dihedral }, 'hash');
      return {
        hashes: hashesOf(result, variant, dihedral),
        image: { format: result.format, width: result.width, height: result.height },
      };
    },
  );
};
