/**
 * One error shape for every failure: `{ "error": { "code": "HW_ERR_…", "message": "…" } }` with the
 * registry's status. Fastify's and its plugins' own errors (body limits, content types, validation,
 * multipart limits, rate limits) are mapped onto registry codes, and 5xx never show internals.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERRORS, type ErrorCode, HashwardenError } from '../errors.js';

/** The JSON body of an error reply. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; rejects?: { line: number; reason: string }[] };
}

/** Codes that tell the client to come back later: their replies carry `Retry-After`. */
const RETRY_AFTER_SECONDS: Partial<Record<ErrorCode, number>> = {
  HW_ERR_OVERLOADED: 1,
  HW_ERR_NOT_READY: 5,
  HW_ERR_POOL_CLOSED: 5,
};

/** Fastify and plugin error codes with the registry code each one means. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'HW_ERR_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'HW_ERR_TOO_LARGE',
  FST_FILES_LIMIT: 'HW_ERR_TOO_LARGE',
  FST_PARTS_LIMIT: 'HW_ERR_TOO_LARGE',
  FST_FIELDS_LIMIT: 'HW_ERR_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'HW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'HW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'HW_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'HW_ERR_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'HW_ERR_BAD_REQUEST',
  FST_PROTO_VIOLATION: 'HW_ERR_BAD_REQUEST',
  FST_ERR_VALIDATION: 'HW_ERR_BAD_REQUEST',
  FST_ERR_BAD_URL: 'HW_ERR_BAD_REQUEST',
  FST_ERR_ASYNC_CONSTRAINT: 'HW_ERR_BAD_REQUEST',
};

/** Maps any thrown value to a HashwardenError; `internal` says whether its detail must stay in the log. */
export function toHashwardenError(err: unknown): { error: HashwardenError; internal: boolean } {
  if (err instanceof HashwardenError) return { error: err, internal: err.status >= 500 };
  const e = (err ?? {}) as Partial<FastifyError> & { validation?: unknown };
  const mapped = e.code === undefined ? undefined : FASTIFY_CODES[e.code];
  if (mapped !== undefined) {
    // These messages are fastify's own text about the request (never about our internals).
    return { error: new HashwardenError(mapped, e.message || undefined), internal: false };
  }
  if (e.validation !== undefined) {
    return { error: new HashwardenError('HW_ERR_BAD_REQUEST', e.message), internal: false };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (status === 413) return { error: new HashwardenError('HW_ERR_TOO_LARGE'), internal: false };
  if (status === 415) return { error: new HashwardenError('HW_ERR_UNSUPPORTED_MEDIA_TYPE'), internal: false };
  if (status === 408) return { error: new HashwardenError('HW_ERR_REQUEST_TIMEOUT'), internal: false };
  if (status === 429) return { error: new HashwardenError('HW_ERR_RATE_LIMITED'), internal: false };
  if (status >= 400 && status < 500) {
    // A malformed body (JSON syntax, multipart framing): the message describes the client's input.
    return { error: new HashwardenError('HW_ERR_BAD_REQUEST', e.message || undefined), internal: false };
  }
  return { error: new HashwardenError('HW_ERR_INTERNAL'), internal: true };
}

/** Sends `err` in the one error shape, with Retry-After where the client should come back. */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const { error, internal } = toHashwardenError(err);
  if (internal || error.status >= 500) {
    request.log.error({ err, code: error.code }, 'request failed');
  } else {
    request.log.debug({ code: error.code, msg: error.message }, 'request refused');
  }
  const retry = RETRY_AFTER_SECONDS[error.code];
  if (retry !== undefined && !reply.hasHeader('retry-after')) reply.header('retry-after', String(retry));
  // 5xx messages come from the registry: the cause may name files, SQL or stack frames.
  const message = error.status >= 500 ? ERRORS[error.code].message : error.message;
  const body: ErrorBody = { error: { code: error.code, message } };
  const rejects = (err as { rejects?: readonly { line: number; reason: string }[] }).rejects;
  if (error.code === 'HW_ERR_IMPORT_REJECTED' && Array.isArray(rejects)) {
    body.error.rejects = rejects.map((r) => ({ line: r.line, reason: r.reason }));
  }
  reply.code(error.status).type('application/json; charset=utf-8');
  return reply.send(body);
}

/** Installs the error handler and the not-found handler on `app` (the root instance). */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      new HashwardenError('HW_ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
