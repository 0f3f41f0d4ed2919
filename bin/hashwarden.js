#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build` (run by `npm test` and `npm start`).
import { main } from '../dist/src/cli/index.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`hashwarden: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
