// Hot reload: a new build of a loaded library replaces the old one without a restart. The new
// module is compiled and checked, its ABI must equal the loaded one (same library name, same
// exports with the same signatures: the stamp's hash), the user's health probe runs against a
// fresh sandbox of it, and only then do new calls switch to it. Wasm calls are synchronous on
// this thread, so when the switch happens no call is in flight on the old instance: there is
// nothing to drain. Handles from before are stale (a new generation). Any refusal leaves the
// library exactly as it was and says why.
import { isBinding } from '../binding.js';
import { checkBinding, compileModule, type CompiledModule, type ModuleSource } from '../compiled-module.js';
import { CboxError, CboxLoadError } from '../errors.js';
import type { Library, ReloadOptions } from '../library-api.js';
import { Sandbox } from '../sandbox.js';
import { formatSize, WASM_PAGE } from '../sizes.js';
import type { AbiStamp } from '../abi.js';


/** Reloads of one target run one after the other, in the order asked. */
export class ReloadQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(attempt: () => Promise<T>): Promise<T> {
    const result = this.tail.then(attempt);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Reloads one sandboxed library. */
export class Reloader {
  private readonly queue = new ReloadQueue();

  constructor(private readonly sandbox: Sandbox, private readonly libraryOf: (sandbox: Sandbox) => Library<any>) {}

  /** Resolves with the generation now serving calls. */
  reload(source: ModuleSource, options: ReloadOptions = {}): Promise<number> {
    return this.queue.run(() => this.attempt(source, options));
  }

  private async attempt(source: ModuleSource, options: ReloadOptions): Promise<number> {
    const { sandbox } = this;
    const before = { generation: sandbox.generation, sha256: sandbox.compiled.sha256 };
    try {
      const compiled = await reloadCandidate(source, sandbox.compiled, sandbox.options.memoryLimit, sandbox.options.tableLimit);
      await probeCandidate(new Sandbox(compiled, { ...sandbox.options, spare: false }), options.probe, this.libraryOf);
      const generation = sandbox.replaceModule(compiled);
      sandbox.events.emit('reload', {
        library: sandbox.name, outcome: 'switched', fromGeneration: before.generation, toGeneration: generation, from: before.sha256, to: compiled.sha256,
      });
      return generation;
    } catch (error) {
      sandbox.events.emit('reload', {
        library: sandbox.name, outcome: 'rolled-back', fromGeneration: before.generation, toGeneration: before.generation, from: before.sha256, to: null, error: error as Error,
      });
      throw error;
    }
  }
}

/**
 * The new module for a reload of `loaded`: compiled, its ABI equal to the loaded one, fitting
 * the memory limit, its exports in the loaded order. Throws CboxLoadError otherwise.
 */
export async function reloadCandidate(source: ModuleSource, loaded: CompiledModule, memoryLimit: number, tableLimit?: number): Promise<CompiledModule> {
  const name = loaded.stamp.name;
  const compiled = await compileModule(source, isBinding(source) ? source : undefined, { tableLimit });
  try {
    checkBinding(compiled, loaded.stamp);
  } catch (error) {
    throw new CboxLoadError('abi-mismatch', `reload of ${name} refused, nothing changed: ${(error as Error).message}`, { cause: error });
  }
  const needs = compiled.memory.minPages * WASM_PAGE;
  if (needs > memoryLimit) {
    throw new CboxLoadError('memory-limit', `reload of ${name} refused, nothing changed: ${compiled.origin} needs ${formatSize(needs)} to start, over the library's memoryLimit of ${formatSize(memoryLimit)}`);
  }
  return withExportOrder(compiled, loaded.stamp);
}

/** Runs the user's health probe against a library over `candidate`, a fresh sandbox of the new module, then closes it. */
export async function probeCandidate(candidate: Sandbox, check: ReloadOptions['probe'], libraryOf: (sandbox: Sandbox) => Library<any>): Promise<void> {
  try {
    await runProbe(candidate.compiled, () => check?.(libraryOf(candidate)));
  } finally {
    candidate.close();
  }
}

/** Runs a health probe of `compiled`; its failure becomes CboxLoadError 'reload-probe-failed'. */
export async function runProbe(compiled: CompiledModule, probe: () => void | Promise<void>): Promise<void> {
  try {
    await probe();
  } catch (error) {
    const why = error instanceof CboxError ? `${error.name} ${error.code}: ${error.message}` : (error as Error)?.message ?? String(error);
    throw new CboxLoadError('reload-probe-failed', `reload of ${compiled.stamp.name} refused, nothing changed: ${compiled.origin} failed its health probe: ${why}`, { cause: error });
  }
}

/**
 * Invokers call exports by their index in the loaded stamp; a rebuild with the same ABI may list
 * them in another order, so the new module's stamp is given the loaded order.
 */
function withExportOrder(compiled: CompiledModule, loaded: AbiStamp): CompiledModule {
  const order = Object.keys(loaded.exports);
  if (Object.keys(compiled.stamp.exports).join() === order.join()) return compiled;
  const exports = Object.fromEntries(order.map((fn) => [fn, compiled.stamp.exports[fn]!]));
  return { ...compiled, stamp: { ...compiled.stamp, exports } };
}
