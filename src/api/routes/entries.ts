/**
 * `/v1/lists/:list/entries` and `/export`. Bulk bodies (NDJSON, CSV, TSV, plain lines) stream from the
 * socket straight into the store's importer: never buffered whole, bounded by `maxImportBytes`, and
 * atomic (a rejected import leaves the list as it was). Reading hash values back needs `admin`.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { HashwardenError } from '../../errors.js';
import { bytesToHex } from '../../hash/codec.js';
import type { HashType } from '../../hash/types.js';
import { PARSE_THREAD_MIN_BYTES } from '../../store/import/parse-thread.js';
import type { EntryRecord, Labels, ListRecord } from '../../store/types.js';
import { actorOf, requireListAccess } from '../auth.js';
import type { ApiDeps } from '../deps.js';
import { errorResponses, HASH_TYPE_ENUM } from '../schemas.js';

/** Import formats (as in src/store/import/formats.ts) and the content type that implies each. */
const IMPORT_FORMAT_ENUM = ['csv', 'tsv', 'ndjson', 'lines', 'pdq-csv', 'te'] as const;
type ImportFormat = (typeof IMPORT_FORMAT_ENUM)[number];
const FORMAT_OF_TYPE: Record<string, ImportFormat> = {
  'application/x-ndjson': 'ndjson',
  'text/csv': 'csv',
  'text/tab-separated-values': 'tsv',
  'text/plain': 'lines',
};
const STREAM_TYPES = Object.keys(FORMAT_OF_TYPE);

const params = {
  type: 'object',
  required: ['list'],
  properties: { list: { type: 'string', maxLength: 64 }, id: { type: 'integer', minimum: 1 } },
} as const;
const common = { tags: ['entries'], security: [{ bearerAuth: [] }] };

/** An entry as list writers see it: no hash value. */
function publicEntry(e: EntryRecord) {
  const { value: _value, listId: _listId, ...rest } = e;
  return rest;
}

/**
 * The request body as a byte stream that fails with HW_ERR_TOO_LARGE past `max` bytes, and with
 * HW_ERR_BAD_REQUEST when the client goes away. It never destroys the socket, so the error can still
 * be answered.
 */
function boundedBody(source: Readable, max: number): Readable {
  async function* chunks(): AsyncGenerator<Buffer> {
    let bytes = 0;
    try {
      for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
        bytes += chunk.length;
        if (bytes > max)
          throw new HashwardenError('HW_ERR_TOO_LARGE', `bulk uploads are at most ${max} bytes`);
        yield chunk;
      }
    } catch (err) {
      if (err instanceof HashwardenError) throw err;
      throw new HashwardenError('HW_ERR_BAD_REQUEST', 'the request body was cut off', { cause: err });
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

interface EntryParams {
  list: string;
  id: number;
}

/** Registers the entry and export routes. */
export const entryRoutes: FastifyPluginAsync<ApiDeps> = async (app, deps) => {
  const { store, matcher, config } = deps;
  const sync = () => {
    if (matcher.ready) matcher.sync();
  };
  const listOf = (request: FastifyRequest, name: string): ListRecord => {
    requireListAccess(request, name);
    return store.lists.require(name);
  };
  const entryOf = (list: ListRecord, id: number): EntryRecord => {
    const e = store.entries.get(id);
    if (e === undefined || e.listId !== list.id) {
      throw new HashwardenError('HW_ERR_ENTRY_NOT_FOUND', `list "${list.name}" has no entry ${id}`);
    }
    return e;
  };

  // Bulk types reach the handler as the raw request stream (this plugin's scope only).
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser(STREAM_TYPES, (_request, payload, done) => done(null, payload));

  app.post<{
    Params: { list: string };
    Querystring: { format?: ImportFormat; type?: HashType; skipInvalid?: boolean };
  }>(
    '/v1/lists/:list/entries',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Add entries: one as JSON, or many as NDJSON / CSV / TSV / lines (streamed, atomic)',
        params,
        querystring: {
          type: 'object',
          properties: {
            format: {
              type: 'string',
              enum: IMPORT_FORMAT_ENUM,
              description: 'Default: from the content type',
            },
            type: { type: 'string', enum: HASH_TYPE_ENUM, description: 'Hash type of rows that name none' },
            skipInvalid: { type: 'boolean', description: 'Import the good lines and report the bad ones' },
          },
        },
        response: {
          200: {
            type: 'object',
            description: 'Bulk import summary',
            properties: {
              list: { type: 'string' },
              added: { type: 'integer' },
              duplicates: { type: 'integer' },
              rejected: { type: 'integer' },
              rejects: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { line: { type: 'integer' }, reason: { type: 'string' } },
                },
              },
              seconds: { type: 'number' },
            },
          },
          201: {
            type: 'object',
            description: 'One entry added (created false: it was there already)',
            properties: { entry: { $ref: 'Entry#' }, created: { type: 'boolean' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const list = listOf(request, request.params.list);
      const body = request.body as unknown;
      if (body instanceof Readable) {
        const declared = Number(request.headers['content-length'] ?? Number.NaN);
        if (declared > config.maxImportBytes) {
          throw new HashwardenError(
            'HW_ERR_TOO_LARGE',
            `bulk uploads are at most ${config.maxImportBytes} bytes`,
          );
        }
        const mime = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
        const format = request.query.format ?? FORMAT_OF_TYPE[mime] ?? 'ndjson';
        try {
          const summary = await store.importEntries(list.name, boundedBody(body, config.maxImportBytes), {
            format,
            type: request.query.type,
            skipInvalid: request.query.skipInvalid === true,
            actor: actorOf(request),
            parseThread: !(declared < PARSE_THREAD_MIN_BYTES),
          });
          sync();
          return summary;
        } catch (err) {
          // The rest of the body is not wanted: discard it and close the connection after the reply.
          body.resume();
          reply.header('connection', 'close');
          throw err;
        }
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new HashwardenError(
          'HW_ERR_UNSUPPORTED_MEDIA_TYPE',
          `send one entry as a JSON object, or many as ${STREAM_TYPES.join(', ')}`,
        );
      }
      const input = body as { type?: unknown; value?: unknown; externalId?: unknown; labels?: unknown };
      if (typeof input.type !== 'string' || !(HASH_TYPE_ENUM as readonly string[]).includes(input.type)) {
        throw new HashwardenError(
          'HW_ERR_UNKNOWN_HASH_TYPE',
          `"type" must be one of ${HASH_TYPE_ENUM.join(', ')}`,
        );
      }
      if (typeof input.value !== 'string')
        throw new HashwardenError('HW_ERR_BAD_HASH', '"value" must be a hex string');
      if (
        input.externalId !== undefined &&
        input.externalId !== null &&
        typeof input.externalId !== 'string'
      ) {
        throw new HashwardenError('HW_ERR_BAD_REQUEST', '"externalId" must be a string');
      }
      const { entry, created } = store.entries.add(
        list,
        {
          type: input.type as HashType,
          value: input.value,
          externalId: (input.externalId as string | null | undefined) ?? null,
          labels: (input.labels as Labels | null | undefined) ?? null,
        },
        actorOf(request),
      );
      sync();
      return reply.code(201).send({ entry: publicEntry(entry), created });
    },
  );

  app.get<{
    Params: { list: string };
    Querystring: { after?: number; limit?: number; includeRemoved?: boolean };
  }>(
    '/v1/lists/:list/entries',
    {
      config: { scope: 'admin' },
      schema: {
        ...common,
        summary: 'A page of entries with their hash values (admin)',
        params,
        querystring: {
          type: 'object',
          properties: {
            after: { type: 'integer', minimum: 0, description: 'The `next` of the previous page' },
            limit: { type: 'integer', minimum: 1, maximum: 10000, default: 100 },
            includeRemoved: { type: 'boolean' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { $ref: 'EntryWithValue#' } },
              next: { type: ['integer', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const list = listOf(request, request.params.list);
      const { after, limit, includeRemoved } = request.query;
      const page = store.entries.page(list.id, {
        ...(after !== undefined ? { after } : {}),
        ...(limit !== undefined ? { limit } : {}),
        ...(includeRemoved !== undefined ? { includeRemoved } : {}),
      });
      return {
        items: page.items.map((e) => ({ ...publicEntry(e), value: bytesToHex(e.value) })),
        next: page.next,
      };
    },
  );

  app.patch<{ Params: EntryParams; Body: { disabled?: boolean; labels?: Labels | null } }>(
    '/v1/lists/:list/entries/:id',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Disable or enable an entry, or replace its labels',
        params,
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            disabled: { type: 'boolean' },
            labels: { type: ['object', 'null'], additionalProperties: true },
          },
        },
        response: { 200: { $ref: 'Entry#' }, ...errorResponses },
      },
    },
    async (request) => {
      const list = listOf(request, request.params.list);
      let entry = entryOf(list, request.params.id);
      const actor = actorOf(request);
      if (request.body.disabled !== undefined)
        entry = store.entries.setDisabled(entry.id, request.body.disabled, actor);
      if (request.body.labels !== undefined)
        entry = store.entries.setLabels(entry.id, request.body.labels, actor);
      sync();
      return publicEntry(entry);
    },
  );

  app.delete<{ Params: EntryParams }>(
    '/v1/lists/:list/entries/:id',
    {
      config: { scope: 'lists:write' },
      schema: {
        ...common,
        summary: 'Remove an entry (kept in the audit trail, gone from matching)',
        params,
        response: { 200: { $ref: 'Entry#' }, ...errorResponses },
      },
    },
    async (request) => {
      const list = listOf(request, request.params.list);
      const entry = store.entries.remove(entryOf(list, request.params.id).id, actorOf(request));
      sync();
      return publicEntry(entry);
    },
  );

  app.get<{ Params: { list: string }; Querystring: { format?: 'ndjson' | 'csv' } }>(
    '/v1/lists/:list/export',
    {
      config: { scope: 'admin' },
      schema: {
        ...common,
        summary: 'Every active entry of a list, streamed (admin)',
        params,
        produces: ['application/x-ndjson', 'text/csv'],
        querystring: {
          type: 'object',
          properties: { format: { type: 'string', enum: ['ndjson', 'csv'], default: 'ndjson' } },
        },
        response: errorResponses,
      },
    },
    async (request, reply) => {
      const list = listOf(request, request.params.list);
      const format = request.query.format ?? 'ndjson';
      reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header(
          'content-disposition',
          `attachment; filename="${list.name}.${format === 'csv' ? 'csv' : 'ndjson'}"`,
        );
      return reply.send(store.exportStream(list.name, format));
    },
  );
};
