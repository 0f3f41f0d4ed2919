/**
 * The file piscina loads in each hashing thread: a CommonJS shim around the real task module
 * (task.ts, an ES module), which it imports asynchronously.
 *
 * Why a shim: piscina's worker loads its file with `require()` first, and Node ≥ 20.19 lets `require()`
 * load an ES module synchronously. A thread terminated in the middle of that synchronous load (a pool
 * closed while its threads still start, as in a scan with nothing to do or a server stopped at once)
 * fails a V8 check that ends the whole process ("v8::Module::IsGraphAsync must be used on an
 * instantiated module", seen in a CI run). This file is CommonJS, so `require()` returns at once; the
 * ES module then loads through `import()`, which a termination stops cleanly.
 */
import type * as Task from './task.js' with { 'resolution-mode': 'import' };

// Starts loading now (sharp with it), before the first task arrives, as piscina's own preload did.
const task: Promise<typeof Task> = import('./task.js');
// A failed load is reported by the first task, not as an unhandled rejection here.
task.catch(() => {});

async function hashTask(request: Parameters<typeof Task.default>[0]): ReturnType<typeof Task.default> {
  return (await task).default(request);
}

async function crashForTest(): Promise<never> {
  return (await task).crashForTest();
}

export = Object.assign(hashTask, { crashForTest });
