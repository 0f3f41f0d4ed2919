/** Refills every generated benchmark section of README.md from bench/results/*.md (`npm run docs:bench`). */
import { readdir } from 'node:fs/promises';
import { fillReadme, RESULTS_DIR } from './lib/report.js';

const names = (await readdir(RESULTS_DIR)).filter((f) => f.endsWith('.md')).map((f) => f.slice(0, -3));
await fillReadme(names);
