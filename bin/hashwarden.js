#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm test` and `npm start`).
import { main } from '../dist/src/cli/index.js';

// A closed pipe (`hashwarden hash *.jpg | head`) ends output quietly, as Unix tools do.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hashwarden: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
