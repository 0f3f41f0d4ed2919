import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  BATCH_THREADS,
  batchThreads,
  DEFAULT_CONFIG,
  describeConfig,
  envName,
  loadConfig,
} from '../src/config.js';

describe('config', () => {
  it('takes the index mode from the environment, then flags, and rejects an unknown one', () => {
    expect(loadConfig({}, {}).indexMode).toBe('auto');
    expect(loadConfig({}, { HASHWARDEN_INDEX_MODE: 'compact' }).indexMode).toBe('compact');
    expect(loadConfig({ indexMode: 'fast' }, { HASHWARDEN_INDEX_MODE: 'compact' }).indexMode).toBe('fast');
    expect(loadConfig({}, { HASHWARDEN_INDEX_FAST_MAX_ENTRIES: '1000' }).indexFastMaxEntries).toBe(1000);
    expect(() => loadConfig({}, { HASHWARDEN_INDEX_MODE: 'quick' })).toThrow(
      expect.objectContaining({
        code: 'HW_ERR_BAD_OPTION',
        message: expect.stringContaining('HASHWARDEN_INDEX_MODE'),
      }),
    );
    expect(() => loadConfig({ indexFastMaxEntries: '-5' }, {})).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_OPTION' }),
    );
  });

  it('documents every setting in docs/api.md with its variable and flag', () => {
    const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
    for (const { key, env } of describeConfig()) {
      expect(env).toBe(envName(key));
      const flag = `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      expect(doc, key).toContain(`| \`${key}\` | \`${env}\` | \`${flag}\` |`);
    }
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
  });

  it('gives batch commands a spare hashing thread unless the flag or HASHWARDEN_THREADS says otherwise', () => {
    expect(BATCH_THREADS).toBe(availableParallelism() + 1);
    expect(DEFAULT_CONFIG.threads).toBe(availableParallelism());
    expect(batchThreads(undefined, {})).toBe(BATCH_THREADS);
    expect(batchThreads(undefined, { HASHWARDEN_THREADS: ' ' })).toBe(BATCH_THREADS);
    expect(batchThreads(undefined, { HASHWARDEN_THREADS: '5' })).toBe(5);
    expect(batchThreads(2, { HASHWARDEN_THREADS: '5' })).toBe(2);
    expect(() => batchThreads(undefined, { HASHWARDEN_THREADS: '0' })).toThrow(
      expect.objectContaining({
        code: 'HW_ERR_BAD_OPTION',
        message: expect.stringContaining('HASHWARDEN_THREADS'),
      }),
    );
  });
});
