import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { BATCH_THREADS } from '../config.js';
import { HashwardenError } from '../errors.js';
import { parseHashType } from '../hash/codec.js';
import { HASH_TYPE_NAMES, type HashType, PDQ_VARIANTS, type PdqVariant } from '../hash/types.js';
import { DEFAULT_DECODE_LIMITS } from '../image/decode.js';
import { Matcher } from '../service/matcher.js';
import type { MatchOptions, MatchReport } from '../service/types.js';
import { HashPool } from '../worker/pool.js';
import { readInput } from './hash.js';
import { parseThresholds, type StoreCommandOptions, withStore, withStoreOptions } from './lists.js';
import { positiveInt, writeOut } from './output.js';

interface MatchCommonOptions extends StoreCommandOptions {
  lists?: string;
  threshold?: string[];
  dihedral: boolean;
  includeLowQuality: boolean;
}

function matchOptions(o: MatchCommonOptions): MatchOptions {
  return {
    ...(o.lists
      ? {
          lists: o.lists
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    thresholds: parseThresholds((o.threshold ?? []).join(',')),
    dihedral: o.dihedral,
    includeLowQuality: o.includeLowQuality,
  };
}

function withMatchOptions(cmd: Command): Command {
  return withStoreOptions(cmd)
    .option('--lists <names>', 'only these lists (comma-separated); default every enabled list')
    .option(
      '--threshold <type=n>',
      'tighter radius for a type, e.g. pdq=20 (repeatable; never looser than a list allows)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--no-dihedral', 'do not match PDQ rotations and mirrors')
    .option('--include-low-quality', 'also match PDQ hashes below quality 50', false);
}

function reportFields(r: MatchReport) {
  return {
    matched: r.matched,
    matches: r.matches,
    ...(r.safelisted.length > 0 ? { safelisted: r.safelisted, suppressed: r.suppressed } : {}),
    ...(r.pdqLowQuality ? { pdqLowQuality: true } : {}),
  };
}

/** Lines of hashes from stdin: `HEX` (of --type) or `TYPE HEX`. */
async function* stdinHashes(
  defaultType: HashType | undefined,
): AsyncGenerator<{ type: HashType; value: string }> {
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    const t = line.trim();
    if (t === '') continue;
    const parts = t.split(/[\s,]+/);
    if (parts.length >= 2) yield { type: parseHashType(parts[0]!), value: parts[1]! };
    else if (defaultType) yield { type: defaultType, value: parts[0]! };
    else throw new HashwardenError('HW_ERR_BAD_OPTION', 'stdin lines need "TYPE HEX", or give --type');
  }
}

/** `hashwarden lookup` and `hashwarden match`: look hashes or images up in the local database. */
export function registerMatchCommands(program: Command): void {
  withMatchOptions(
    program
      .command('lookup')
      .description('Look hashes up in the local lists (NDJSON out, one line per hash)')
      .argument('<hashes...>', 'hex hashes of --type, or - to read "HEX" or "TYPE HEX" lines from stdin')
      .addOption(new Option('--type <type>', 'hash type of the given hashes').choices([...HASH_TYPE_NAMES]))
      .addOption(
        new Option(
          '--pdq-variant <variant>',
          'the PDQ variant the hashes were made with (default: compare with lists of either)',
        ).choices([...PDQ_VARIANTS]),
      ),
  )
    .addHelpText(
      'after',
      `
Exit status: 0 no hash matched, 1 some hash matched, 2 bad input.

Examples:
  hashwarden lookup --type pdq 2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724
  cut -d, -f1 hashes.csv | hashwarden lookup --type pdq -`,
    )
    .action(
      async (hashes: string[], o: MatchCommonOptions & { type?: HashType; pdqVariant?: PdqVariant }) => {
        await withStore('lookup', o, async (store) => {
          const matcher = await Matcher.open(store, { pollMs: 0 });
          try {
            const opts = { ...matchOptions(o), ...(o.pdqVariant ? { pdqVariant: o.pdqVariant } : {}) };
            let any = false;
            const source =
              hashes.length === 1 && hashes[0] === '-'
                ? stdinHashes(o.type)
                : hashes.map((value) => {
                    if (!o.type)
                      throw new HashwardenError(
                        'HW_ERR_BAD_OPTION',
                        'give --type for hashes on the command line',
                      );
                    return { type: o.type, value };
                  });
            for await (const { type, value } of source) {
              const r = matcher.lookup(type, value, opts);
              any ||= r.matched;
              await writeOut(
                process.stdout,
                `${JSON.stringify({ type, value: value.trim().toLowerCase(), ...reportFields(r) })}\n`,
              );
            }
            if (any) process.exitCode = 1;
          } finally {
            matcher.close();
          }
        });
        if (process.exitCode !== undefined && process.exitCode !== 0 && process.exitCode !== 1)
          process.exitCode = 2;
      },
    );

  withMatchOptions(
    program
      .command('match')
      .description('Hash images and look them up in the local lists (NDJSON out, one line per file)')
      .argument('<files...>', 'image files, or - for one image from stdin')
      .option('--threads <n>', 'hashing threads (default: cores + 1)', positiveInt('--threads')),
  )
    .addHelpText(
      'after',
      `
Each line: {"file","matched","matches":[{"list","entryId","externalId","type","distance","transform","labels"}],"hashes":{…}}
or {"file","error":{"code","message"}}. Stored hash values are never printed.

Exit status: 0 no file matched, 1 some file matched, 2 some file could not be hashed.

Examples:
  hashwarden match upload.jpg
  hashwarden match --lists ncmec-pdq --threshold pdq=20 *.jpg`,
    )
    .action(async (files: string[], o: MatchCommonOptions & { threads?: number }) => {
      let matched = false;
      let failed = false;
      await withStore('match', o, async (store) => {
        const matcher = await Matcher.open(store, { pollMs: 0 });
        const pool = new HashPool({ threads: o.threads ?? BATCH_THREADS, maxQueue: 1024 });
        const opts = matchOptions(o);
        const hashOptions = matcher.hashOptions({ dihedral: opts.dihedral !== false });
        try {
          const window = pool.threads * 4;
          const pending: Promise<string>[] = [];
          const one = async (file: string): Promise<string> => {
            try {
              const bytes = await readInput(file, DEFAULT_DECODE_LIMITS.maxInputBytes);
              const h = await pool.hash(bytes, hashOptions);
              const r = matcher.match(h, opts);
              matched ||= r.matched;
              const pdq = Object.fromEntries(
                Object.entries(h.pdq).map(([v, p]) => [v, { value: p.hex, quality: p.quality }]),
              );
              return JSON.stringify({
                file,
                ...reportFields(r),
                hashes: { pdq, phash: h.phash, md5: h.md5, sha1: h.sha1, sha256: h.sha256 },
                image: { format: h.format, width: h.width, height: h.height },
              });
            } catch (err) {
              if (!(err instanceof HashwardenError)) throw err;
              failed = true;
              return JSON.stringify({ file, error: err.toJSON() });
            }
          };
          let next = 0;
          while (next < files.length || pending.length > 0) {
            while (next < files.length && pending.length < window) pending.push(one(files[next++]!));
            await writeOut(process.stdout, `${await pending.shift()!}\n`);
          }
        } finally {
          await pool.close();
          matcher.close();
        }
      });
      if (process.exitCode === undefined || process.exitCode === 0)
        process.exitCode = failed ? 2 : matched ? 1 : 0;
      else process.exitCode = 2;
    });
}
