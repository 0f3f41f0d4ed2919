/**
 * kill -9 during an HTTP bulk import (issue 7, phase 2), CI-sized: the server is killed mid-upload and
 * after it answered; after a restart the list is exactly as before (or exactly after) and the file
 * passes integrity_check. The bench runs more kill points on a bigger stream.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBuild } from './http-harness.js';
import { killDuringHttpImport } from './http-kill.js';

describe.skipIf(process.platform !== 'linux')('kill -9 during POST /v1/lists/:list/entries', () => {
  let dir: string;
  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(os.tmpdir(), 'hw-http-kill-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('leaves the list all-or-nothing and the file sound', async () => {
    const rows = 40_000;
    const results = await killDuringHttpImport(dir, { rows, points: ['upload', 'apply', 'replied'] });
    for (const r of results) {
      expect(r.integrity, r.point).toBe('ok');
      expect(r.state, r.point).not.toBe('partial');
      expect(r.restartOk, r.point).toBe(true);
    }
    // Killed mid-upload: nothing was committed. Killed after a 200: everything was.
    expect(results.find((r) => r.point === 'upload')?.state).toBe('before');
    const replied = results.find((r) => r.point === 'replied')!;
    expect(replied.reply).toBe(200);
    expect(replied.state).toBe('after');
  });
});
