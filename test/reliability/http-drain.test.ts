/**
 * Draining on shutdown, in process and deterministic (the SIGTERM run in http-load.test.ts is the
 * end-to-end check): replies that finish during the drain carry `Connection: close`, so a keep-alive
 * client never reuses a socket the server is about to close (before the fix it did, and got a reset
 * instead of a refusal). A request that does reach the app during the drain gets 503
 * HW_ERR_POOL_CLOSED with Retry-After (before the fix: fastify's bare 503 without a code); that window
 * is too narrow to hit on purpose, so http-load.test.ts's SIGTERM run checks it (no uncoded 503).
 */
import { Agent, request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, type TestApp, testApp, texturedJpeg } from '../api/helpers.js';

let t: TestApp | undefined;
afterAll(async () => t?.close());

function post(port: number, agent: Agent, key: string, body: Buffer) {
  return new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/hash',
        headers: { ...bearer(key), 'content-type': 'image/jpeg', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('drain on close()', () => {
  it('answers in-flight requests in full with Connection: close', async () => {
    t = await testApp({}, { threads: 1, maxQueue: 4 });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.app.server.address() as AddressInfo;
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    // Large enough that one hash takes tens of ms on the single thread: the three requests below are
    // still hashing or queued when close() starts, however fast the hashing gets.
    const image = await texturedJpeg(11, 3072);
    // Warm the sockets (and the worker), so the next requests ride on kept-alive connections.
    expect((await post(port, agent, t.keys.match, image)).connection).toBe('keep-alive');
    const inFlight = [post(port, agent, t.keys.match, image), post(port, agent, t.keys.match, image)];
    // A raw socket with a slow request in flight: the drain must not cut it.
    const raw = connect(port, '127.0.0.1');
    let text = '';
    raw.setEncoding('latin1').on('data', (d: string) => {
      text += d;
    });
    const ended = new Promise((r) => raw.on('close', r));
    raw.write(
      `POST /v1/hash HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.keys.match}\r\n` +
        `Content-Type: image/jpeg\r\nContent-Length: ${image.length}\r\n\r\n`,
    );
    raw.write(image);
    // Close once all three are in the pool (one hashing, two queued), not after a fixed delay.
    for (let i = 0; i < 2000 && t.pool.inFlight < 3; i++) await new Promise((r) => setTimeout(r, 1));
    expect(t.pool.inFlight).toBe(3);
    const closing = t.app.close();
    // close() runs its preClose hooks on a later tick.
    await new Promise((r) => setTimeout(r, 5));
    raw.write(`GET /v1/lists HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${t.keys.read}\r\n\r\n`);
    for (const r of await Promise.all(inFlight)) expect(r).toEqual({ status: 200, connection: 'close' });
    await closing;
    await ended;
    // The in-flight request is answered in full, marked `Connection: close`; the request pipelined
    // behind it is left unanswered, which HTTP/1.1 defines as safe to retry elsewhere.
    const replies = text.split(/(?=HTTP\/1\.1 )/);
    expect(replies.map((r) => r.slice(0, 12))).toEqual(['HTTP/1.1 200']);
    expect(replies[0]).toMatch(/\r\nconnection: close\r\n/i);
    agent.destroy();
  });
});
