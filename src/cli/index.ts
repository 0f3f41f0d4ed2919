import { Command, CommanderError } from 'commander';
import { HashwardenError } from '../errors.js';
import { registerHashCommand } from './hash.js';
import { registerImportExportCommands } from './import-export.js';
import { registerKeysCommands } from './keys.js';
import { registerListCommands } from './lists.js';
import { registerMatchCommands } from './match.js';
import { registerScanCommand } from './scan.js';
import { registerServeCommand } from './serve.js';

/** Builds the `hashwarden` command tree. */
export function buildProgram(): Command {
  const program = new Command('hashwarden')
    .description('Perceptual-hash matching: PDQ, pHash and exact hashes against known-image hash lists')
    .version('0.1.0')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerHashCommand(program);
  registerMatchCommands(program);
  registerListCommands(program);
  registerImportExportCommands(program);
  registerScanCommand(program);
  registerServeCommand(program);
  registerKeysCommands(program);
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof HashwardenError) {
      process.stderr.write(`hashwarden: ${err.code}: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
