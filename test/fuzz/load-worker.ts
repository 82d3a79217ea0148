// Worker thread of the fuzz harness: loads each case it is sent and answers with the outcome. A
// case that never returns is the harness's to notice (it terminates this worker).
import { parentPort } from 'node:worker_threads';
import { loadCase } from './load-case.js';

parentPort!.on('message', async ({ id, bytes }: { id: number; bytes: Uint8Array }) => {
  parentPort!.postMessage({ id, outcome: await loadCase(bytes) });
});
