/**
 * JSON schemas shared by the routes: they validate requests, serialize replies (fast-json-stringify
 * writes only the properties named here, so nothing unlisted can leak) and make the OpenAPI document.
 */

/** Hash type names, as in the registry (src/hash/types.ts). */
export const HASH_TYPE_ENUM = ['pdq', 'phash', 'md5', 'sha1', 'sha256'] as const;
export const PDQ_VARIANT_ENUM = ['reference', 'full'] as const;
export const SCOPE_ENUM = ['match', 'lists:read', 'lists:write', 'admin'] as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string', description: 'A stable HW_ERR_* code (docs/errors.md)' },
        message: { type: 'string' },
        rejects: {
          type: 'array',
          description: 'HW_ERR_IMPORT_REJECTED only: the first bad lines',
          items: {
            type: 'object',
            properties: { line: { type: 'integer' }, reason: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

/** The error replies every authenticated route may give. */
export const errorResponses = {
  '4xx': { $ref: 'Error#' },
  '5xx': { $ref: 'Error#' },
} as const;

const labels = {
  type: ['object', 'null'],
  additionalProperties: true,
  description: 'Free labels of the entry, e.g. {"category":"A1"}',
} as const;

export const matchSchema = {
  $id: 'Match',
  type: 'object',
  description: 'One match. It never carries the stored hash value.',
  properties: {
    list: { type: 'string' },
    entryId: { type: 'integer' },
    externalId: { type: ['string', 'null'] },
    type: { type: 'string', enum: HASH_TYPE_ENUM },
    distance: { type: 'integer' },
    transform: {
      type: 'string',
      description: '`exact`, the dihedral that matched (`orig`, `rot90`, …), or `trim:` + one',
    },
    labels,
  },
} as const;

export const hashesSchema = {
  $id: 'Hashes',
  type: 'object',
  properties: {
    pdq: {
      type: 'object',
      properties: {
        value: { type: 'string' },
        quality: { type: 'integer' },
        variant: { type: 'string', enum: PDQ_VARIANT_ENUM },
        dihedral: {
          type: 'object',
          additionalProperties: { type: 'string' },
          description: 'The 8 rotations and mirrors (only with dihedral=true on /v1/hash)',
        },
      },
    },
    phash: { type: 'string' },
    md5: { type: 'string' },
    sha1: { type: 'string' },
    sha256: { type: 'string' },
  },
} as const;

export const imageSchema = {
  $id: 'Image',
  type: 'object',
  properties: {
    format: { type: 'string' },
    width: { type: 'integer' },
    height: { type: 'integer' },
  },
} as const;

export const listSchema = {
  $id: 'List',
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    source: { type: 'string' },
    types: { type: 'array', items: { type: 'string', enum: HASH_TYPE_ENUM } },
    kind: { type: 'string', enum: ['blocklist', 'safelist'] },
    pdqVariant: { type: 'string', enum: PDQ_VARIANT_ENUM },
    thresholds: { type: 'object', additionalProperties: { type: 'integer' } },
    enabled: { type: 'boolean' },
    createdAt: { type: 'string' },
    updatedAt: { type: 'string' },
    counts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          active: { type: 'integer' },
          disabled: { type: 'integer' },
          removed: { type: 'integer' },
        },
      },
    },
  },
} as const;

/** An entry without its hash value: what list writers get back. */
export const entrySchema = {
  $id: 'Entry',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    type: { type: 'string', enum: HASH_TYPE_ENUM },
    externalId: { type: ['string', 'null'] },
    labels,
    addedAt: { type: 'string' },
    addedBy: { type: 'string' },
    disabled: { type: 'boolean' },
    removedAt: { type: ['string', 'null'] },
    removedBy: { type: ['string', 'null'] },
  },
} as const;

/** An entry with its hash value (hex): admin routes only. */
export const entryWithValueSchema = {
  $id: 'EntryWithValue',
  type: 'object',
  properties: { ...entrySchema.properties, value: { type: 'string' } },
} as const;

/** Options of /v1/match (query string; the same names work as multipart fields). */
export const matchQuerySchema = {
  type: 'object',
  properties: {
    lists: {
      type: 'string',
      description: 'Comma-separated list names (default: every list the key may see)',
    },
    thresholds: { type: 'string', description: 'JSON object of per-type radii, e.g. {"pdq":20}' },
    'threshold.pdq': { type: 'integer', minimum: 0 },
    'threshold.phash': { type: 'integer', minimum: 0 },
    dihedral: { type: 'boolean', description: 'Match PDQ rotations and mirrors (default true)' },
    pdqVariant: { type: 'string', enum: PDQ_VARIANT_ENUM },
    includeLowQuality: { type: 'boolean', description: 'Match PDQ hashes below quality 50 (default false)' },
  },
} as const;

/** Every shared schema, added once to the root instance so routes can `$ref` them. */
export const SHARED_SCHEMAS = [
  errorSchema,
  matchSchema,
  hashesSchema,
  imageSchema,
  listSchema,
  entrySchema,
  entryWithValueSchema,
] as const;

/** OpenAPI request body of the image routes (documentation only: the body is read by upload.ts). */
export const imageBodyDoc = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: {
        type: 'object',
        required: ['image'],
        properties: { image: { type: 'string', format: 'binary' } },
      },
    },
    'image/*': { schema: { type: 'string', format: 'binary' } },
    'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
  },
} as const;
