// The CboxTrap for a call that ran past its deadline. The worker that ran it is stuck (that is
// why it was terminated), so the report is built here from what the worker published in
// CallProgress when the call started; no C stack can be read from a terminated thread.
// Arguments are described by their shapes, as in the sandbox's own reports: sizes, never contents.
import type { CompiledModule } from '../compiled-module.js';
import { CboxTrap } from '../errors.js';
import type { CallStart } from './progress.js';
import { argumentShape } from '../argument-shape.js';

export interface TimedOutCall {
  readonly fn: string;
  readonly args: readonly unknown[];
  readonly timeoutMs: number;
}

export function timeoutTrap(compiled: CompiledModule, memoryLimit: number, call: TimedOutCall, start: CallStart): CboxTrap {
  const { stamp } = compiled;
  return new CboxTrap({
    kind: 'timeout',
    message: `ran past its ${call.timeoutMs} ms deadline; the worker thread running it was terminated and replaced`,
    export: call.fn,
    args: call.args.map(argumentShape),
    cStack: [],
    memory: { size: start.memoryBytes, limit: memoryLimit, highWater: start.memoryHighWater },
    stackPointer: null,
    stackSize: stamp.stackSize,
    callsSinceStart: start.callsSinceStart,
    module: { name: stamp.name, abiHash: stamp.hash, sha256: compiled.sha256 },
    generation: start.generation,
    time: new Date().toISOString(),
  });
}
