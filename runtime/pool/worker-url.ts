// Where the worker entry is. The package ships it bundled as dist/worker.js next to
// dist/index.js, so from the bundle it is simply the sibling file. When runtime/*.ts runs
// unbundled (vitest aliases 'cbox' to the sources), that sibling does not exist and Node
// cannot run .ts in a worker: use the repository's dist/worker.js, which `npm run build`
// (run by `npm test` first) makes from the same sources.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CboxLoadError } from '../errors.js';

export function workerUrl(): URL {
  const sibling = new URL('./worker.js', import.meta.url);
  if (existsSync(sibling)) return sibling;
  const built = new URL('../../dist/worker.js', import.meta.url);
  if (existsSync(built)) return built;
  throw new CboxLoadError('no-worker-script', `the pool's worker script is missing (${fileURLToPath(sibling)}); from a source checkout, run \`npm run build\` first`);
}
