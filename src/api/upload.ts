/**
 * Reading one image from a request: multipart field `image` or a raw `image/*` /
 * `application/octet-stream` body. The bytes live in memory for the life of the request only (never a
 * temp file), bounded by the body limit, and are handed to the pool, which moves them to a worker.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HashwardenError } from '../errors.js';

/** The image bytes and the text fields that came with them (multipart only). */
export interface Upload {
  readonly bytes: Buffer;
  readonly fields: Readonly<Record<string, string>>;
}

/** Most text fields a multipart upload may carry next to the image (the match options). */
const MAX_FIELDS = 16;

/**
 * Registers the raw-body parser for images on `app`: the body is collected into one Buffer, at most
 * `maxBytes` (fastify answers 413 past it, without reading the rest into memory).
 */
export function addImageBodyParser(app: FastifyInstance, maxBytes: number): void {
  for (const type of [/^image\/[\w.+-]+$/i, 'application/octet-stream']) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, done) =>
      done(null, body),
    );
  }
}

/** Multipart limits for image uploads: one file of at most `maxBytes`, a few small fields. */
export function multipartLimits(maxBytes: number) {
  return {
    fileSize: maxBytes,
    files: 1,
    fields: MAX_FIELDS,
    fieldSize: 64 * 1024,
    parts: MAX_FIELDS + 1,
    headerPairs: 100,
  };
}

/**
 * The uploaded image. Throws HW_ERR_EMPTY_INPUT (no bytes), HW_ERR_BAD_REQUEST (multipart without an
 * `image` file), HW_ERR_UNSUPPORTED_MEDIA_TYPE (a body that is not an image upload), or the multipart
 * limit errors (mapped to HW_ERR_TOO_LARGE by the error handler).
 */
export async function readUpload(request: FastifyRequest): Promise<Upload> {
  if (request.isMultipart()) return readMultipart(request);
  const body = request.body;
  if (body === undefined || body === null)
    throw new HashwardenError('HW_ERR_EMPTY_INPUT', 'the request has no body');
  if (!Buffer.isBuffer(body)) {
    throw new HashwardenError(
      'HW_ERR_UNSUPPORTED_MEDIA_TYPE',
      'send the image as multipart field "image", or as the body with an image/* or application/octet-stream content type',
    );
  }
  if (body.length === 0) throw new HashwardenError('HW_ERR_EMPTY_INPUT', 'the request body is empty');
  return { bytes: body, fields: {} };
}

async function readMultipart(request: FastifyRequest): Promise<Upload> {
  const fields: Record<string, string> = {};
  let bytes: Buffer | undefined;
  // Iterating every part (not request.file()) lets option fields come before or after the image.
  for await (const part of request.parts()) {
    if (part.type === 'file') {
      if (part.fieldname !== 'image' || bytes !== undefined) {
        // Drain it so the parser can go on; its bytes are discarded as they arrive.
        part.file.resume();
        throw new HashwardenError(
          'HW_ERR_BAD_REQUEST',
          `unexpected file field "${part.fieldname}"; send one field "image"`,
        );
      }
      bytes = await part.toBuffer();
    } else if (
      typeof part.value === 'string' ||
      typeof part.value === 'number' ||
      typeof part.value === 'boolean'
    ) {
      fields[part.fieldname] = String(part.value);
    }
  }
  if (bytes === undefined)
    throw new HashwardenError('HW_ERR_BAD_REQUEST', 'the multipart body has no "image" file field');
  if (bytes.length === 0) throw new HashwardenError('HW_ERR_EMPTY_INPUT', 'the uploaded image is empty');
  return { bytes, fields };
}
