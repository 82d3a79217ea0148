// The public shape of a loaded library: its control surface and the statistics it reports, in
// one module below everything that builds libraries (library.ts, supervise/, native/, metering/),
// so that the layers import upwards only.
import type { AbiStamp } from './abi.js';
import type { GenericExports } from './binding.js';
import type { ModuleSource } from './compiled-module.js';
import type { LibraryEvents } from './events.js';
import type { CallLimits } from './metering/meter.js';
import type { SandboxStats } from './sandbox.js';
import type { CircuitState } from './supervise/circuit-state.js';
import type { LatencySummary } from './supervise/latency-recorder.js';

/** Where a library's calls run: see LoadOptions.engine. 'auto' mixes the two per function (routesOf). */
export type Engine = 'wasm' | 'native' | 'auto';

export interface LibraryControl {
  readonly name: string;
  readonly stamp: AbiStamp;
  /** 'wasm': every call runs in the sandbox. 'native': NO isolation, a crash kills the process. 'auto': per function (routesOf). */
  readonly engine: Engine;
  /** Generation of the live sandbox instance; it grows by one with every recycle. */
  readonly generation: number;
  stats(): LibraryStats;
  /** Replace the sandbox instance now (C state and handles are dropped); returns the new generation. */
  recycle(reason?: string): number;
  on<E extends keyof LibraryEvents & string>(event: E, listener: (...args: LibraryEvents[E]) => void): Library;
  off<E extends keyof LibraryEvents & string>(event: E, listener: (...args: LibraryEvents[E]) => void): Library;
  /** Release the sandbox; later calls throw CboxClosedError. */
  close(): void;
}

export interface FunctionStats {
  /** Calls made through this export (refused and fallback ones included). */
  readonly calls: number;
  /** Calls that failed (traps, unless the breaker's isFailure says otherwise). */
  readonly failures: number;
  /** Calls answered by the fallback (circuit open, or the call failed). */
  readonly fallbacks: number;
  /** Calls refused with CircuitOpenError (circuit open, no fallback). */
  readonly refused: number;
  readonly breaker?: { readonly state: CircuitState; readonly reason: string; readonly opened: number; readonly retryInMs: number };
  readonly latency?: LatencySummary;
}

export type LibraryStats = SandboxStats & {
  /** Per export, when the library was loaded with supervision options (breaker, fallback, stats, ...). */
  readonly functions?: Readonly<Record<string, FunctionStats>>;
};

export interface ReloadOptions {
  /**
   * Health check of the new version, called with a library over a fresh sandbox of it before
   * anything switches: throw (or reject) to refuse the new version. What it does in that
   * sandbox is dropped; calls after the switch start from another fresh instance.
   */
  readonly probe?: (candidate: Library<any>) => void | Promise<void>;
}

export interface SupervisionControl {
  /**
   * Hot reload: switch to a new build of the library (a path, URL, bytes or binding) with the same
   * ABI, after `probe` passed on a fresh sandbox of it. Resolves with the new generation; rejects
   * with CboxLoadError ('abi-mismatch', 'reload-probe-failed', ...) and changes nothing otherwise.
   */
  reload(source: ModuleSource, options?: ReloadOptions): Promise<number>;
}

export interface MeterControl<T> {
  /** The exports with these limits on each call, e.g. `lib.with({ timeoutMs: 5 }).parse(text)`
   * (metered modules, see `cbox build --metered`): a call past its deadline throws CboxTrap kind
   * 'timeout', one past its fuel budget CboxTrap kind 'fuel-exhausted'. */
  with(limits: CallLimits): T;
}

/** load() adds reload() (SupervisionControl) to what the engine made. */
export type Library<T = GenericExports> = T & LibraryControl & SupervisionControl & MeterControl<T>;
