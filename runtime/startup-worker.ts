// The worker side of a start-up trial (bundled as dist/startup-worker.js): start one instance of
// the module and say how it went. Output the start-up prints is discarded here; the real start
// on the caller's thread prints it again.
import { parentPort, workerData } from 'node:worker_threads';
import { CboxError } from './errors.js';
import { SandboxInstance } from './instance.js';
import type { StartupTrial, StartupTrialReply } from './startup-trial.js';

const { compiled, memoryLimit, wasi } = workerData as StartupTrial;
let reply: StartupTrialReply = null;
try {
  new SandboxInstance(compiled, 1, memoryLimit, wasi).dispose();
} catch (error) {
  reply = error instanceof CboxError ? error.toJSON() : { name: 'Error', message: String((error as Error)?.message ?? error) };
}
parentPort!.postMessage(reply);
