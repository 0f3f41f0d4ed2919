/** `hashwarden keys create | ls | revoke`: API keys, stored only as SHA-256 digests. */
import type { Command } from 'commander';
import { HashwardenError } from '../errors.js';
import { type ApiKeyRecord, SCOPES, type Scope } from '../store/keys.js';
import { type StoreCommandOptions, withStore, withStoreOptions } from './lists.js';

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseScopes(text: string): Scope[] {
  const scopes = splitList(text);
  for (const s of scopes) {
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw new HashwardenError('HW_ERR_BAD_OPTION', `unknown scope "${s}" (known: ${SCOPES.join(', ')})`);
    }
  }
  return scopes as Scope[];
}

function describe(k: ApiKeyRecord): string {
  const lists = k.lists === null ? 'all lists' : `lists ${k.lists.join(',')}`;
  const state = k.revokedAt === null ? 'active' : `revoked ${k.revokedAt}`;
  return `${k.name}\t${k.prefix}…\t${k.scopes.join(',')}\t${lists}\t${state}\tcreated ${k.createdAt} by ${k.createdBy}`;
}

/** Registers `hashwarden keys`. */
export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description('Create, list and revoke API keys');

  withStoreOptions(
    keys
      .command('create <name>')
      .description('Create a key and print it once (only its SHA-256 is stored)')
      .requiredOption('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`)
      .option('--lists <names>', 'restrict the key to these lists (comma-separated)'),
  ).action(async (name: string, opts: StoreCommandOptions & { scopes: string; lists?: string }) => {
    await withStore('keys create', opts, (store) => {
      const { key, record } = store.keys.create(
        {
          name,
          scopes: parseScopes(opts.scopes),
          lists: opts.lists === undefined ? null : splitList(opts.lists),
        },
        opts.actor,
      );
      // The key alone on stdout (scripts capture it); the notice on stderr.
      process.stderr.write(`created ${describe(record)}\nThe key is shown only this once:\n`);
      process.stdout.write(`${key}\n`);
    });
  });

  withStoreOptions(
    keys
      .command('ls')
      .description('List keys (never the keys themselves)')
      .option('--json', 'one JSON object a line'),
  ).action(async (opts: StoreCommandOptions & { json?: boolean }) => {
    await withStore('keys ls', opts, (store) => {
      for (const k of store.keys.list()) {
        process.stdout.write(`${opts.json === true ? JSON.stringify(k) : describe(k)}\n`);
      }
    });
  });

  withStoreOptions(keys.command('revoke <name>').description('Revoke a key at once')).action(
    async (name: string, opts: StoreCommandOptions) => {
      await withStore('keys revoke', opts, (store) => {
        const k = store.keys.revoke(name, opts.actor);
        process.stdout.write(`revoked ${describe(k)}\n`);
      });
    },
  );
}
