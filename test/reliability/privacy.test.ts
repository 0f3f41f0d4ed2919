/**
 * No upload bytes on disk or in output (issue 7). `hashwarden hash` and `hashwarden match` (which
 * hash through the worker pool) run as child processes with TMPDIR set to a fresh, watched
 * directory, on images whose metadata carries a distinctive marker: afterwards TMPDIR is empty, the
 * working directory holds only the database files it held before, and the marker appears in no
 * output, in plain text, hex or base64.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markedImages } from '../helpers/bad-images.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'hashwarden.js');
const MARKER = 'HWPRIVACY-7f3a9c-do-not-leak';

interface Run {
  code: number | null;
  out: string;
}

function run(args: string[], cwd: string, tmp: string, stdin?: Buffer): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, TMPDIR: tmp, TMP: tmp, TEMP: tmp },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString('latin1');
    });
    child.stdin.end(stdin);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Every file under `dir` with its size and mtime, so "changed" is visible. */
async function tree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = join(prefix, e.name);
    if (e.isDirectory()) Object.assign(out, await tree(join(dir, e.name), rel));
    else {
      const s = await stat(join(dir, e.name));
      out[rel] = `${s.size}@${s.mtimeMs}`;
    }
  }
  return out;
}

function leaks(text: string): string[] {
  const forms = [
    MARKER,
    Buffer.from(MARKER).toString('hex'),
    Buffer.from(MARKER).toString('base64').slice(0, 24),
  ];
  return forms.filter((f) => text.toLowerCase().includes(f.toLowerCase()));
}

describe.skipIf(process.platform === 'win32')('privacy: upload bytes never reach disk or output', () => {
  let root: string;
  let work: string;
  let tmp: string;
  let files: string[];
  beforeAll(async () => {
    if (!existsSync(join(import.meta.dirname, '..', '..', 'dist', 'src', 'cli', 'index.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first');
    }
    root = await mkdtemp(join(os.tmpdir(), 'hw-privacy-'));
    work = join(root, 'work');
    tmp = join(root, 'tmp');
    await mkdir(work);
    await mkdir(tmp);
    const images = await markedImages(MARKER);
    files = [];
    for (const img of images) {
      await writeFile(join(root, img.name), img.bytes);
      files.push(join(root, img.name));
    }
    expect(images.every((i) => i.bytes.includes(MARKER))).toBe(true);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('hashwarden hash (files and stdin): nothing written, no marker in the output', async () => {
    const before = await tree(work);
    const a = await run(['hash', '--threads', '2', '--dihedral', ...files], work, tmp);
    const b = await run(['hash', '--format', 'csv', '-'], work, tmp, await readFile(files[0]!));
    expect(a.out).toMatch(/"pdq":"[0-9a-f]{64}"/);
    expect(a.out).toContain('HW_ERR_CORRUPT_IMAGE');
    expect(leaks(a.out + b.out)).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    expect(await tree(work)).toEqual(before);
  });

  it('hashwarden match: only the database files change, no marker in the output', async () => {
    const db = join(work, 'data', 'hw.db');
    const created = await run(['lists', 'create', 'known', '--db', db], work, tmp);
    expect(created.code).toBe(0);
    const before = await tree(work);
    const m = await run(['match', '--threads', '2', '--db', db, ...files], work, tmp);
    expect(m.out).toContain('"matched":false');
    expect(leaks(m.out)).toEqual([]);
    expect(await readdir(tmp)).toEqual([]);
    const after = await tree(work);
    const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
    expect(
      changed.every((k) => /^data\/hw\.db(-wal|-shm)?$/.test(k)),
      changed.join(', '),
    ).toBe(true);
  });
});
