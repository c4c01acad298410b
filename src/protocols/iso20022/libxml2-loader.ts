import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';

import type * as libxml2 from 'libxml2-wasm';

/** The libxml2-wasm module namespace; type-only, so nothing is loaded until loadLibxml2() runs. */
export type Libxml2 = typeof libxml2;

let loading: Promise<Libxml2> | undefined;

/**
 * libxml2-wasm is an ES module with top-level await (it instantiates its WASM on import), so a
 * CommonJS build can only reach it through a dynamic import(), and the API that wraps it is async.
 * The module is loaded once per process and shared.
 */
export function loadLibxml2(): Promise<Libxml2> {
  loading ??= importLibxml2();
  return loading;
}

async function importLibxml2(): Promise<Libxml2> {
  try {
    return await import('libxml2-wasm');
  } catch (direct: unknown) {
    try {
      return await importThroughMainContext();
    } catch {
      throw direct;
    }
  }
}

/**
 * Jest runs each spec inside a vm context whose module system refuses this ES module (its dynamic
 * import() needs --experimental-vm-modules, which the shared jest.config.js does not set). Node's own
 * loader in the main context can still import it; the returned classes then belong to that context,
 * which is harmless because every libxml2 object we touch comes from the same module instance.
 */
async function importThroughMainContext(): Promise<Libxml2> {
  const entry = require.resolve('libxml2-wasm');
  const load = vm.runInThisContext('(specifier) => import(specifier)', {
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (specifier: string) => Promise<Libxml2>;
  return load(pathToFileURL(path.resolve(entry)).href);
}
