/**
 * Bad inputs get the right code and status, and the process stays up: the next good request after
 * each one succeeds. Also the pool's saturation (503 + Retry-After, then recovery) and rate limits.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { truncatedJpeg } from '../helpers/bad-images.js';
import { bearer, codeOf, multipartBody, type TestApp, testApp, texturedJpeg } from './helpers.js';

let t: TestApp;
let good: Buffer;

beforeAll(async () => {
  t = await testApp({ maxBodyBytes: 64 * 1024 });
  good = await texturedJpeg(3);
});
afterAll(async () => t.close());

async function hashRaw(payload: Buffer | string, contentType: string) {
  return t.app.inject({
    method: 'POST',
    url: '/v1/hash',
    headers: { ...bearer(t.keys.match), 'content-type': contentType },
    payload,
  });
}

describe('bad inputs', () => {
  afterEach(async () => {
    // The process stays up: a good request right after each bad one succeeds.
    const res = await hashRaw(good, 'image/jpeg');
    expect(res.statusCode).toBe(200);
  });

  it('not an image → 415 HW_ERR_NOT_AN_IMAGE', async () => {
    const res = await hashRaw(Buffer.from('hello, this is text and not a picture'), 'image/jpeg');
    expect([res.statusCode, codeOf(res)]).toEqual([415, 'HW_ERR_NOT_AN_IMAGE']);
  });

  it('a content type the route does not read → 415 HW_ERR_UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/json', 'application/x-www-form-urlencoded']) {
      const res = await hashRaw(type === 'application/json' ? '{"a":1}' : 'a=1', type);
      expect([res.statusCode, codeOf(res)], type).toEqual([415, 'HW_ERR_UNSUPPORTED_MEDIA_TYPE']);
    }
  });

  it('empty body → 400 HW_ERR_EMPTY_INPUT (raw, none, multipart)', async () => {
    expect(codeOf(await hashRaw(Buffer.alloc(0), 'image/jpeg'))).toBe('HW_ERR_EMPTY_INPUT');
    const none = await t.app.inject({ method: 'POST', url: '/v1/hash', headers: bearer(t.keys.match) });
    expect([none.statusCode, codeOf(none)]).toEqual([400, 'HW_ERR_EMPTY_INPUT']);
    const mp = multipartBody({ name: 'image', bytes: Buffer.alloc(0) });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/hash',
      headers: { ...bearer(t.keys.match), ...mp.headers },
      payload: mp.payload,
    });
    expect([res.statusCode, codeOf(res)]).toEqual([400, 'HW_ERR_EMPTY_INPUT']);
  });

  it('oversized body → 413 HW_ERR_TOO_LARGE (raw and multipart)', async () => {
    const big = Buffer.alloc(100 * 1024, 7);
    const res = await hashRaw(big, 'image/jpeg');
    expect([res.statusCode, codeOf(res)]).toEqual([413, 'HW_ERR_TOO_LARGE']);
    const mp = multipartBody({ name: 'image', bytes: big });
    const res2 = await t.app.inject({
      method: 'POST',
      url: '/v1/match',
      headers: { ...bearer(t.keys.match), ...mp.headers },
      payload: mp.payload,
    });
    expect([res2.statusCode, codeOf(res2)]).toEqual([413, 'HW_ERR_TOO_LARGE']);
  });

  it('truncated image → 422 HW_ERR_CORRUPT_IMAGE', async () => {
    const res = await hashRaw(await truncatedJpeg(), 'image/jpeg');
    expect([res.statusCode, codeOf(res)]).toEqual([422, 'HW_ERR_CORRUPT_IMAGE']);
  });

  it('multipart without an image field → 400', async () => {
    const mp = multipartBody({ name: 'picture', bytes: good });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/hash',
      headers: { ...bearer(t.keys.match), ...mp.headers },
      payload: mp.payload,
    });
    expect([res.statusCode, codeOf(res)]).toEqual([400, 'HW_ERR_BAD_REQUEST']);
  });

  it('malformed JSON → 400 HW_ERR_BAD_REQUEST; bad hex → 400 HW_ERR_BAD_HASH naming the item', async () => {
    const headers = { ...bearer(t.keys.match), 'content-type': 'application/json' };
    const broken = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers,
      payload: '{"hashes": [',
    });
    expect([broken.statusCode, codeOf(broken)]).toEqual([400, 'HW_ERR_BAD_REQUEST']);
    const shape = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers,
      payload: '{"hashes": 3}',
    });
    expect([shape.statusCode, codeOf(shape)]).toEqual([400, 'HW_ERR_BAD_REQUEST']);
    const hashes = [
      { type: 'pdq', value: 'a'.repeat(64) },
      { type: 'md5', value: 'zz'.repeat(16) },
    ];
    const bad = await t.app.inject({ method: 'POST', url: '/v1/lookup', headers, payload: { hashes } });
    expect([bad.statusCode, codeOf(bad)]).toEqual([400, 'HW_ERR_BAD_HASH']);
    expect((bad.json() as { error: { message: string } }).error.message).toContain('hashes[1]');
    const type = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers,
      payload: [{ type: 'crc', value: '00' }],
    });
    expect([type.statusCode, codeOf(type)]).toEqual([400, 'HW_ERR_UNKNOWN_HASH_TYPE']);
    const tooMany = Array.from({ length: 1001 }, () => ({ type: 'pdq', value: 'a' }));
    const many = await t.app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers,
      payload: { hashes: tooMany },
    });
    expect([many.statusCode, codeOf(many)]).toEqual([400, 'HW_ERR_BAD_REQUEST']);
  });

  it('bad options → 400; unknown lists → 404; unknown routes → 404 HW_ERR_NOT_FOUND', async () => {
    const headers = { ...bearer(t.keys.match), 'content-type': 'image/jpeg' };
    const opt = await t.app.inject({
      method: 'POST',
      url: '/v1/match?thresholds=nope',
      headers,
      payload: good,
    });
    expect([opt.statusCode, codeOf(opt)]).toEqual([400, 'HW_ERR_BAD_OPTION']);
    const loose = await t.app.inject({
      method: 'POST',
      url: '/v1/match?threshold.pdq=200',
      headers,
      payload: good,
    });
    expect([loose.statusCode, codeOf(loose)]).toEqual([400, 'HW_ERR_BAD_OPTION']);
    const list = await t.app.inject({ method: 'POST', url: '/v1/match?lists=nope', headers, payload: good });
    expect([list.statusCode, codeOf(list)]).toEqual([404, 'HW_ERR_LIST_NOT_FOUND']);
    const route = await t.app.inject({
      method: 'GET',
      url: '/v1/nothing-here',
      headers: bearer(t.keys.admin),
    });
    expect([route.statusCode, codeOf(route)]).toEqual([404, 'HW_ERR_NOT_FOUND']);
  });
});

describe('saturation and limits', () => {
  it('answers 503 with Retry-After when the pool is full, then recovers', async () => {
    const s = await testApp({}, { threads: 1, maxQueue: 0 });
    try {
      const images = await Promise.all(Array.from({ length: 8 }, (_, i) => texturedJpeg(10 + i, 1024)));
      const replies = await Promise.all(
        images.map((payload) =>
          s.app.inject({
            method: 'POST',
            url: '/v1/hash',
            headers: { ...bearer(s.keys.match), 'content-type': 'image/jpeg' },
            payload,
          }),
        ),
      );
      const statuses = replies.map((r) => r.statusCode);
      expect(statuses).toContain(200);
      expect(statuses).toContain(503);
      for (const r of replies.filter((x) => x.statusCode === 503)) {
        expect(codeOf(r)).toBe('HW_ERR_OVERLOADED');
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      const after = await s.app.inject({
        method: 'POST',
        url: '/v1/hash',
        headers: { ...bearer(s.keys.match), 'content-type': 'image/jpeg' },
        payload: images[0]!,
      });
      expect(after.statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  it('rate-limits per key, and failed authentication per address', async () => {
    const s = await testApp({ rateLimitPerMinute: 3 });
    try {
      const lookup = (key: string) =>
        s.app.inject({ method: 'POST', url: '/v1/lookup', headers: bearer(key), payload: [] });
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await lookup(s.keys.match)).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await lookup(s.keys.match);
      expect(codeOf(limited)).toBe('HW_ERR_RATE_LIMITED');
      expect(limited.headers['retry-after']).toBeDefined();
      // Another key has its own budget.
      expect((await lookup(s.keys.admin)).statusCode).toBe(200);
      const bad = [];
      for (let i = 0; i < 4; i++) bad.push((await lookup('hw_guess')).statusCode);
      expect(bad).toEqual([401, 401, 401, 429]);
    } finally {
      await s.close();
    }
  });
});
