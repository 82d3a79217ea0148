// A pool worker thread (bundled as dist/worker.js): one sandbox from the module the pool
// compiled, serving calls in arrival order. A trap is handled here as on the main thread (the
// sandbox recycles, the call gets the CboxTrap). A runaway call in a metered module stops here
// at its deadline (the thread lives on); otherwise it is the pool's to stop, by terminating this thread.
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { createLibrary } from '../library.js';
import { openSandbox } from '../load.js';
import type { Sandbox } from '../sandbox.js';
import { errorToData, installComlinkErrorTransfer } from './error-transport.js';
import { OutputSender } from './output-channel.js';
import { CallProgress } from './progress.js';
import {
  arities, copyView, epochMs, isMetered, replyOf, writableArguments, writtenReplyOf, type CallBatch, type CallReply, type WorkerControl, type WorkerInit,
} from './protocol.js';

type Invoker = (...args: unknown[]) => unknown;

const init = workerData as WorkerInit;
const output = init.output ? new OutputSender(init.output) : null;

function serve(sandbox: Sandbox): void {
  const library = createLibrary<Record<string, Invoker>>(sandbox);
  const invokers = Object.keys(sandbox.compiled.stamp.exports).map((name) => library[name]!);
  const views = Object.values(sandbox.compiled.stamp.exports).map((signature) => signature.view === true);
  const writable = writableArguments(sandbox.compiled);
  const arity = arities(sandbox.compiled);
  const meter = isMetered(sandbox.compiled) ? sandbox.options.meter ?? null : null;
  const header = meter ? 2 : 1;
  const progress = new CallProgress(init.progress);
  const port = init.calls;
  port.on('message', (batch: CallBatch) => {
    for (let next = 0; next < batch.length;) {
      const fnIndex = batch[next] as number;
      const timeoutMs = meter ? batch[next + 1] as number : 0;
      const args = batch.slice(next + header, next + header + arity[fnIndex]!);
      next += header + arity[fnIndex]!;
      const instance = sandbox.current;
      const startedAt = epochMs();
      progress.begin(startedAt, instance.generation, instance.memoryBytes, instance.calls + 1);
      let reply: CallReply;
      try {
        const value = meter && timeoutMs > 0 ? meter.within({ timeoutMs }, () => invokers[fnIndex]!(...args)) : invokers[fnIndex]!(...args);
        const answer = views[fnIndex] ? copyView(value) : value;
        const written = writable[fnIndex];
        reply = written ? writtenReplyOf(answer, args, written) : replyOf(answer);
      } catch (error) {
        reply = errorToData(error);
      }
      progress.end(epochMs() - startedAt);
      output?.flush();
      // A bytes result is already a fresh copy out of the sandbox: move it rather than copy it again.
      port.postMessage(reply, reply instanceof Uint8Array ? [reply.buffer as ArrayBuffer] : undefined);
    }
  });
}

installComlinkErrorTransfer();
const control: WorkerControl = {
  start(): void {
    const logger = output && { stdout: (text: string) => output.line('stdout', text), stderr: (text: string) => output.line('stderr', text) };
    serve(openSandbox(init.compiled, { ...init.load, logger }));
    output?.flush(); // what start-up code printed
  },
};
Comlink.expose(control, nodeEndpoint(parentPort!));
