/** Spawns the built CLI (`node bin/hashwarden.js scan …`), as a user or a script would. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'hashwarden.js');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Runs the CLI; `until` may kill it (with its signal) once it returns true, polled every 10 ms. */
export function cli(args: string[], until?: { when: () => boolean; signal: NodeJS.Signals }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'scan', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    const timer =
      until &&
      setInterval(() => {
        if (until.when()) {
          clearInterval(timer);
          child.kill(until.signal);
        }
      }, 10);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      resolve({ code, signal, stderr, stdout });
    });
  });
}
