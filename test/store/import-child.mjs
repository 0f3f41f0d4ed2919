// Child process for kill.test.ts: imports FILE into LIST of the database DB with the compiled store
// (dist/, built by `npm run build`), printing each progress phase as a JSON line on stdout.
import { createReadStream } from 'node:fs';

const [storeModule, db, file, list, cacheKiB] = process.argv.slice(2);
const { Store } = await import(storeModule);
const store = Store.open(db);
let last = '';
await store.importEntries(list, createReadStream(file), {
  format: 'lines',
  type: 'pdq',
  actor: 'child',
  cacheKiB: Number(cacheKiB),
  onProgress: (p) => {
    if (p.phase !== last) process.stdout.write(`${JSON.stringify(p)}\n`);
    last = p.phase;
  },
});
store.close();
process.stdout.write('finished\n');
