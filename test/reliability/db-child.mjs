// Child process for db-failure.test.ts and the reliability report: runs one write against the
// database with the compiled store (dist/), in a process that the parent has made unable to write
// (another user, or a file-size limit), and prints what came back as one JSON line.
const [storeModule, db, action, rows] = process.argv.slice(2);
const { Store } = await import(storeModule);

async function* hexLines(n) {
  let x = 0x2545f491;
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let j = 0; j < 32; j++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      s += (x & 255).toString(16).padStart(2, '0');
    }
    yield s;
  }
}

let store;
let outcome;
try {
  store = Store.open(db);
  if (action === 'create-list') store.lists.create({ name: 'written-by-child' }, 'child');
  else if (action === 'create-key') store.keys.create({ name: 'child-key', scopes: ['match'] }, 'child');
  else if (action === 'remove-entry')
    store.entries.remove(store.entries.page(store.lists.require('victim').id).items[0].id, 'child');
  else if (action === 'import')
    await store.importEntries('victim', hexLines(Number(rows)), {
      format: 'lines',
      type: 'pdq',
      actor: 'child',
    });
  else throw new Error(`unknown action ${action}`);
  outcome = { ok: true };
} catch (err) {
  outcome = { ok: false, name: err?.name, code: err?.code, message: String(err?.message) };
}
try {
  store?.close();
} catch (err) {
  outcome.closeError = { name: err?.name, code: err?.code, message: String(err?.message) };
}
process.stdout.write(`${JSON.stringify(outcome)}\n`);
