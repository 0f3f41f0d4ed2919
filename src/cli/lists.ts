import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { defaultDbPath } from '../config.js';
import { HashwardenError } from '../errors.js';
import { parseHashType } from '../hash/codec.js';
import { PDQ_VARIANTS, type PdqVariant } from '../hash/types.js';
import {
  LIST_KINDS,
  type ListKind,
  type ListPatch,
  type ListRecord,
  Store,
  type Thresholds,
} from '../store/index.js';

/** Options every store command takes. */
export interface StoreCommandOptions {
  db: string;
  actor: string;
}

/** The OS user name, the default actor recorded in audit rows. */
export function defaultActor(): string {
  try {
    return os.userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Adds --db and --actor to a command. */
export function withStoreOptions(cmd: Command): Command {
  return cmd
    .option(
      '--db <path>',
      'the database file (its directory is created; env HASHWARDEN_DB_PATH)',
      defaultDbPath(),
    )
    .option('--actor <name>', 'who is recorded in the audit trail', defaultActor());
}

/**
 * Runs `fn` with an open store, always closing it. A HashwardenError is printed as
 * `hashwarden CMD: CODE: message` and sets exit code 1 (usage errors stay commander's exit 2).
 */
export async function withStore(
  command: string,
  opts: StoreCommandOptions,
  fn: (store: Store) => Promise<void> | void,
): Promise<void> {
  let store: Store | undefined;
  try {
    store = Store.open(opts.db);
    await fn(store);
  } catch (err) {
    if (!(err instanceof HashwardenError)) throw err;
    process.stderr.write(`hashwarden ${command}: ${err.code}: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    store?.close();
  }
}

/** Parses `pdq=31,phash=10`. */
export function parseThresholds(text: string): Thresholds {
  const out: Thresholds = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const [type, value, extra] = part.split('=');
    const n = Number(value?.trim());
    if (
      type === undefined ||
      value === undefined ||
      extra !== undefined ||
      value.trim() === '' ||
      !Number.isInteger(n)
    ) {
      throw new HashwardenError(
        'HW_ERR_BAD_OPTION',
        `--threshold takes TYPE=N pairs, e.g. pdq=31,phash=10; got "${part}"`,
      );
    }
    out[parseHashType(type)] = n;
  }
  return out;
}

/** Parses `pdq,md5`. */
export function parseTypes(text: string) {
  return text
    .split(',')
    .filter((t) => t.trim() !== '')
    .map(parseHashType);
}

interface ListOptions extends StoreCommandOptions {
  description?: string;
  source?: string;
  kind?: ListKind;
  pdqVariant?: PdqVariant;
  threshold?: string;
  types?: string;
  enable?: boolean;
  disable?: boolean;
  json?: boolean;
  yes?: boolean;
}

function listFields(o: ListOptions): ListPatch {
  return {
    ...(o.description === undefined ? {} : { description: o.description }),
    ...(o.source === undefined ? {} : { source: o.source }),
    ...(o.kind === undefined ? {} : { kind: o.kind }),
    ...(o.pdqVariant === undefined ? {} : { pdqVariant: o.pdqVariant }),
    ...(o.threshold === undefined ? {} : { thresholds: parseThresholds(o.threshold) }),
    ...(o.types === undefined ? {} : { types: parseTypes(o.types) }),
  };
}

function metadataOptions(cmd: Command): Command {
  return cmd
    .option('--description <text>', 'what the list holds')
    .option('--source <name>', 'who provides the hashes (NGO, vendor, "internal")')
    .addOption(
      new Option('--kind <kind>', 'blocklist: matches are hits; safelist: known-good').choices(LIST_KINDS),
    )
    .addOption(
      new Option('--pdq-variant <variant>', 'the PDQ variant its hashes were made with').choices(
        PDQ_VARIANTS,
      ),
    )
    .option(
      '--threshold <pairs>',
      'default match radius per type, e.g. pdq=31,phash=10 (at most the type maximum)',
    )
    .option('--types <list>', 'hash types the list may hold, e.g. pdq,md5 (empty: any)');
}

function describe(list: ListRecord): string {
  const t =
    Object.entries(list.thresholds)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || 'defaults';
  return [
    `${list.name}${list.enabled ? '' : ' (disabled)'}`,
    `  kind: ${list.kind}   pdq variant: ${list.pdqVariant}   types: ${list.types.join(',') || 'any'}   thresholds: ${t}`,
    `  source: ${list.source || '-'}   description: ${list.description || '-'}`,
    `  created: ${list.createdAt}   updated: ${list.updatedAt}`,
  ].join('\n');
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** Registers `lists create|ls|show|update|rm`. */
export function registerListCommands(program: Command): void {
  const lists = program
    .command('lists')
    .description('create, inspect, change and remove hash lists')
    .addHelpText(
      'after',
      '\nExamples:\n  hashwarden lists create ncmec --source NCMEC --types pdq,md5 --threshold pdq=31\n  hashwarden lists ls\n  hashwarden lists show ncmec',
    );

  metadataOptions(withStoreOptions(lists.command('create <name>')))
    .description('create a list (name: a-z, 0-9 and -, 1 to 64 characters)')
    .option('--disabled', 'create it switched off (its entries are not matched)')
    .addHelpText(
      'after',
      '\nExamples:\n  hashwarden lists create ncmec --source NCMEC --types pdq,md5 --threshold pdq=31\n  hashwarden lists create our-safe --kind safelist --pdq-variant full',
    )
    .action((name: string, o: ListOptions & { disabled?: boolean }) =>
      withStore('lists create', o, (store) => {
        const list = store.lists.create({ name, ...listFields(o), enabled: o.disabled !== true }, o.actor);
        process.stdout.write(`created list ${list.name}\n`);
      }),
    );

  withStoreOptions(lists.command('ls'))
    .description('list every hash list')
    .option('--json', 'one JSON object per line')
    .addHelpText(
      'after',
      '\nExamples:\n  hashwarden lists ls\n  hashwarden lists ls --json --db /var/lib/hashwarden/hashwarden.db',
    )
    .action((o: ListOptions) =>
      withStore('lists ls', o, (store) => {
        const all = store.lists.list();
        if (o.json === true) {
          for (const l of all) process.stdout.write(`${JSON.stringify(l)}\n`);
          return;
        }
        if (all.length === 0) process.stdout.write('no lists\n');
        for (const l of all) {
          process.stdout.write(
            `${l.name.padEnd(24)} ${l.kind.padEnd(9)} ${l.enabled ? 'enabled ' : 'disabled'} ${l.types.join(',') || 'any'}\n`,
          );
        }
      }),
    );

  withStoreOptions(lists.command('show <name>'))
    .description("show a list's settings and entry counts per hash type")
    .option('--json', 'as one JSON object')
    .addHelpText('after', '\nExample:\n  hashwarden lists show ncmec')
    .action((name: string, o: ListOptions) =>
      withStore('lists show', o, (store) => {
        const list = store.lists.require(name);
        const counts = store.lists.counts(list.id);
        if (o.json === true) {
          process.stdout.write(`${JSON.stringify({ ...list, counts })}\n`);
          return;
        }
        process.stdout.write(`${describe(list)}\n`);
        if (counts.length === 0) process.stdout.write('  no entries\n');
        for (const c of counts) {
          process.stdout.write(
            `  ${c.type.padEnd(7)} active ${c.active}   disabled ${c.disabled}   removed ${c.removed}\n`,
          );
        }
      }),
    );

  metadataOptions(withStoreOptions(lists.command('update <name>')))
    .description("change a list's settings (only the options given)")
    .option('--enable', 'switch the list on')
    .option('--disable', 'switch the list off (its entries stop matching, nothing is deleted)')
    .addHelpText(
      'after',
      '\nExamples:\n  hashwarden lists update ncmec --threshold pdq=24\n  hashwarden lists update ncmec --disable',
    )
    .action((name: string, o: ListOptions) =>
      withStore('lists update', o, (store) => {
        if (o.enable === true && o.disable === true) {
          throw new HashwardenError('HW_ERR_BAD_OPTION', 'use --enable or --disable, not both');
        }
        const enabled = o.enable === true ? { enabled: true } : o.disable === true ? { enabled: false } : {};
        const list = store.lists.update(name, { ...listFields(o), ...enabled }, o.actor);
        process.stdout.write(`${describe(list)}\n`);
      }),
    );

  withStoreOptions(lists.command('rm <name>'))
    .description('delete a list and all its entries (audited)')
    .option('--yes', 'do not ask for confirmation')
    .addHelpText('after', '\nExample:\n  hashwarden lists rm old-list --yes')
    .action((name: string, o: ListOptions) =>
      withStore('lists rm', o, async (store) => {
        const list = store.lists.require(name);
        if (o.yes !== true) {
          const n = store.lists.counts(list.id).reduce((s, c) => s + c.active + c.disabled + c.removed, 0);
          const question = `delete list ${name} and its ${n} entries?`;
          if (!process.stdin.isTTY) {
            throw new HashwardenError('HW_ERR_BAD_OPTION', `${question} Pass --yes to confirm.`);
          }
          if (!(await confirm(question))) {
            process.stderr.write('nothing deleted\n');
            process.exitCode = 1;
            return;
          }
        }
        const { entries } = store.lists.remove(name, o.actor);
        process.stdout.write(`removed list ${name} (${entries} entries)\n`);
      }),
    );
}
