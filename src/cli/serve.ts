/** `hashwarden serve`: the HTTP service. Flags override `HASHWARDEN_*` variables, which override defaults. */
import type { Command } from 'commander';
import { type Config, describeConfig, loadConfig } from '../config.js';
import { startServer } from '../server.js';

function flagOf(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Registers `hashwarden serve`: one flag per setting of src/config.ts, so they never drift apart. */
export function registerServeCommand(program: Command): void {
  const cmd = program
    .command('serve')
    .description('Run the HTTP matching service (prints a first admin key when the database has none)');
  for (const { key, env, default: def } of describeConfig()) {
    cmd.option(`--${flagOf(key)} <value>`, `${key} (env ${env}, default ${def})`);
  }
  cmd.option('--db <path>', 'same as --db-path');
  cmd.action(async (opts: Record<string, string | undefined>) => {
    const { db, ...flags } = opts;
    const config = loadConfig({
      ...flags,
      ...(db !== undefined && flags.dbPath === undefined ? { dbPath: db } : {}),
    });
    await serve(config);
  });
}

/** Runs until SIGTERM or SIGINT, then shuts down gracefully; resolves when everything is closed. */
export async function serve(config: Config): Promise<void> {
  const server = await startServer(config);
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal while draining: the operator wants out now.
        process.stderr.write(`hashwarden: ${signal} again, exiting without waiting\n`);
        process.exit(1);
      }
      stopping = true;
      server.close().then(resolve, (err: unknown) => {
        process.stderr.write(`hashwarden: shutdown failed: ${String(err)}\n`);
        process.exitCode = 1;
        resolve();
      });
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    server.ready.catch(() => {
      process.exitCode = 1;
      stop('SIGTERM');
    });
  });
}
