// Where a worker thread's entry script is. The package ships each one bundled next to
// dist/index.js, so from the bundle it is simply the sibling file. When runtime/*.ts runs
// unbundled (vitest aliases 'cbox' to the sources), that sibling does not exist and Node
// cannot run .ts in a worker: use the repository's dist/ copy, which `npm run build`
// (run by `npm test` first) makes from the same sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CboxLoadError } from './errors.js';

/** `name`: the bundle's file name, e.g. 'worker.js'. */
export function workerScript(name: string): URL {
  const sibling = new URL(`./${name}`, import.meta.url);
  if (existsSync(sibling)) return sibling;
  for (const built of [new URL(`../dist/${name}`, import.meta.url), new URL(`../../dist/${name}`, import.meta.url)]) {
    if (existsSync(built)) return built;
  }
  throw new CboxLoadError('no-worker-script', `cbox's worker script is missing (${fileURLToPath(sibling)}); from a source checkout, run \`npm run build\` first`);
}
