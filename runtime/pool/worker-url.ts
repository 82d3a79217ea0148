// The pool's worker thread entry (dist/worker.js).
import { workerScript } from '../worker-script.js';

export function workerUrl(): URL {
  return workerScript('worker.js');
}
