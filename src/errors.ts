/**
 * Every error hashwarden reports, in one registry: a stable `HW_ERR_*` code, the HTTP status an API
 * answers with, and a default message. Callers and tests match on `code`, never on the message.
 * Codes are never reused once retired; docs/errors.md lists every code (a test keeps them in step).
 */
export const ERRORS = {
  HW_ERR_EMPTY_INPUT: { status: 400, message: 'The input is empty' },
  HW_ERR_NOT_AN_IMAGE: { status: 415, message: 'The input is not an image' },
  HW_ERR_UNSUPPORTED_FORMAT: { status: 415, message: 'The image format is not supported' },
  HW_ERR_CORRUPT_IMAGE: { status: 422, message: 'The image is truncated or corrupt and cannot be decoded' },
  HW_ERR_TOO_MANY_PIXELS: { status: 413, message: 'The image has more pixels than allowed' },
  HW_ERR_TOO_LARGE: { status: 413, message: 'The input is larger than allowed' },
  HW_ERR_DECODE_TIMEOUT: { status: 422, message: 'Decoding the image took longer than allowed' },
  HW_ERR_BAD_HASH: { status: 400, message: 'The hash value is not valid for its type' },
  HW_ERR_UNKNOWN_HASH_TYPE: { status: 400, message: 'Unknown hash type' },
  HW_ERR_BAD_REQUEST: { status: 400, message: 'The request is not valid' },
  HW_ERR_BAD_OPTION: { status: 400, message: 'An option has an invalid value' },
  HW_ERR_FILE_NOT_FOUND: { status: 404, message: 'The file does not exist or cannot be read' },
  HW_ERR_LIST_NOT_FOUND: { status: 404, message: 'The list does not exist' },
  HW_ERR_LIST_EXISTS: { status: 409, message: 'A list with this name already exists' },
  HW_ERR_INVALID_LIST_NAME: {
    status: 400,
    message: 'List names are lowercase slugs: a-z, 0-9 and -, 1 to 64 characters',
  },
  HW_ERR_ENTRY_NOT_FOUND: { status: 404, message: 'The entry does not exist' },
  HW_ERR_IMPORT_REJECTED: { status: 400, message: 'The import was rejected; the list is unchanged' },
  HW_ERR_DATABASE: { status: 500, message: 'The database cannot be used' },
  HW_ERR_OVERLOADED: { status: 503, message: 'The service is overloaded; retry later' },
  HW_ERR_POOL_CLOSED: { status: 503, message: 'The worker pool is shutting down' },
  HW_ERR_WORKER_FAILED: { status: 500, message: 'A worker failed while processing the request' },
  HW_ERR_REMOTE_LOOKUP: { status: 502, message: 'The remote hashwarden lookup failed' },
  HW_ERR_CHECKPOINT_MISMATCH: {
    status: 409,
    message: 'The checkpoint belongs to another scan (other inputs, outputs or options)',
  },
  HW_ERR_UNAUTHORIZED: { status: 401, message: 'A valid API key is required (Authorization: Bearer <key>)' },
  HW_ERR_FORBIDDEN: { status: 403, message: 'The API key does not have the scope or list access this needs' },
  HW_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests; retry later' },
  HW_ERR_NOT_READY: { status: 503, message: 'The service is starting: indexes are still loading' },
  HW_ERR_NOT_FOUND: { status: 404, message: 'No such route' },
  HW_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'The route does not accept this method' },
  HW_ERR_REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive' },
  HW_ERR_KEY_EXISTS: { status: 409, message: 'An API key with this name exists already' },
  HW_ERR_KEY_NOT_FOUND: { status: 404, message: 'No API key has this name' },
  HW_ERR_UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'The request body has a content type this route does not accept',
  },
  HW_ERR_INTERNAL: { status: 500, message: 'Internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The one error class of hashwarden: carries a stable code and its HTTP status. */
export class HashwardenError extends Error {
  override readonly name = 'HashwardenError';
  readonly code: ErrorCode;
  readonly status: number;

  constructor(code: ErrorCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.code = code;
    this.status = ERRORS[code].status;
  }

  /** Plain form, safe to send across a worker boundary or over HTTP. */
  toJSON(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** True when `code` is a registered error code. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERRORS, code);
}

/** Rebuilds a HashwardenError from its plain form (e.g. a worker's reply). */
export function fromPlain(plain: { code: string; message: string }): HashwardenError {
  return isErrorCode(plain.code)
    ? new HashwardenError(plain.code, plain.message)
    : new HashwardenError('HW_ERR_INTERNAL', plain.message);
}
