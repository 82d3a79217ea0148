// What load() and loadSync() accept, checked by name and type before anything is compiled
// (better-sqlite3's and piscina's habit: a misspelt or misplaced option is an error that names it).
import type { GenericExports } from './binding.js';
import { CboxLoadError } from './errors.js';
import type { Engine } from './library-api.js';
import { DEFAULT_START_TIMEOUT_MS, resolveDeadline } from './limits.js';
import type { CLogger } from './logger.js';
import type { MeterOptions } from './metering/limits.js';
import type { Calibration, CalibrationOptions } from './native/calibration.js';
import type { CrashReportOptions } from './crash-report.js';
import { SUPERVISION_OPTION_NAMES, type SupervisionOptions } from './supervise/options.js';
import type { WasiOptions } from './wasi/host.js';

/** What the C code may reach (WASI). Nothing is granted unless named here. */
export type WasiGrants = Pick<WasiOptions, 'args' | 'env' | 'preopens' | 'clock' | 'random'>;

/** Supervision (breaker, fallback, recycle, stats, telemetry): see SupervisionOptions.
 * Metering (timeoutMs, fuel per call) needs a module built with `cbox build --metered`. */
export interface LoadOptions<T = GenericExports> extends SupervisionOptions<T>, MeterOptions {
  /** Linear memory cap ("32MiB", bytes): malloc returns NULL past it. Default: the manifest's memory.maximum. */
  readonly memoryLimit?: number | string;
  /** Keep a warm spare instance so a trap costs a swap, not an instantiation (default true). */
  readonly spare?: boolean;
  /** C stdout/stderr, delivered line by line after each call returns; default: lines to process.stderr prefixed with the library name; null drops them. */
  readonly logger?: CLogger | null;
  /** WASI capabilities; everything is denied unless granted here (files, environment, clocks, randomness). */
  readonly wasi?: WasiGrants;
  /** Write a JSON crash report (optionally with a memory dump) for every trap. */
  readonly crashReports?: CrashReportOptions;
  /**
   * Deadline for the module's C start-up code (default 10000 ms; Infinity: none), past which
   * load() rejects with CboxLoadError 'init-timeout', so start-up code that never returns cannot
   * freeze the process: load() first runs the start-up once in a throwaway worker thread that is
   * stopped at the deadline (once per module and grant set; every time when files are granted).
   * A metered module is also held to it on this thread at every later start (recycles too).
   * loadSync() makes no trial.
   */
  readonly startTimeoutMs?: number;
  /** Most entries a module's tables may declare (default 65536): a module whose table may grow
   * past it, or declares no maximum, is refused at load (CboxLoadError 'table-limit'). */
  readonly tableLimit?: number;
  /**
   * Where calls run.
   * - 'wasm' (default): every call in the library's WebAssembly sandbox; a C crash is a CboxTrap.
   * - 'native': the N-API addon `cbox build` made from the same C, offering only the exports the
   *   manifest lists in "native". NO ISOLATION: a crash in the C code (a wild pointer, abort(),
   *   exit()) kills the whole Node process, the C code has the process's full access to memory,
   *   files and network, and memoryLimit, spare, wasi, crashReports and logger do not apply.
   * - 'auto': each export the manifest lists in "trusted" runs on whichever engine a calibration
   *   measured faster (so it may run natively, without isolation); every other export always stays
   *   in the sandbox. See routesOf(library) and calibrate(binding).
   */
  readonly engine?: Engine;
  /** engine 'auto': 'run' (default) calibrates at load (optionally with CalibrationOptions, e.g.
   * arguments to measure with), or a Calibration from calibrate(binding) is used as it is. */
  readonly calibration?: 'run' | CalibrationOptions | Calibration;
}

const LOAD_OPTION_NAMES: ReadonlySet<string> = new Set([
  'memoryLimit', 'tableLimit', 'spare', 'logger', 'wasi', 'crashReports', 'startTimeoutMs', 'timeoutMs', 'fuel', 'engine', 'calibration', ...SUPERVISION_OPTION_NAMES,
]);
const POOL_OPTION_NAMES: ReadonlySet<string> = new Set(['threads', 'maxQueue', 'pipeline']);
const WASI_GRANT_NAMES: ReadonlySet<string> = new Set(['args', 'env', 'preopens', 'clock', 'random']);

export function badOption(message: string): CboxLoadError {
  return new CboxLoadError('bad-option', message);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The options' shape, checked before anything is compiled: every key known, every value of its type. */
export function checkLoadOptions(options: unknown, caller: string): LoadOptions<any> {
  if (options === undefined) return {};
  if (!isRecord(options)) throw badOption(`${caller}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (POOL_OPTION_NAMES.has(key)) throw badOption(`${caller}: ${key} is an option of createPool(), not of ${caller}`);
    if (!LOAD_OPTION_NAMES.has(key)) throw badOption(`${caller}: unknown option ${JSON.stringify(key)}`);
  }
  const { spare, logger, wasi, crashReports } = options;
  if (spare !== undefined && typeof spare !== 'boolean') throw badOption(`${caller}: spare must be true or false`);
  if (logger !== undefined && logger !== null) {
    if (!isRecord(logger)) throw badOption(`${caller}: logger must be an object with stdout/stderr functions, or null`);
    for (const stream of ['stdout', 'stderr']) {
      if (logger[stream] !== undefined && typeof logger[stream] !== 'function') throw badOption(`${caller}: logger.${stream} must be a function`);
    }
  }
  if (wasi !== undefined) {
    if (!isRecord(wasi)) throw badOption(`${caller}: wasi must be an object`);
    for (const key of Object.keys(wasi)) if (!WASI_GRANT_NAMES.has(key)) throw badOption(`${caller}: unknown wasi option ${JSON.stringify(key)} (grants: ${[...WASI_GRANT_NAMES].join(', ')})`);
    for (const key of ['clock', 'random']) {
      if (wasi[key] !== undefined && typeof wasi[key] !== 'boolean') throw badOption(`${caller}: wasi.${key} must be true or false`);
    }
  }
  if (crashReports !== undefined) {
    if (!isRecord(crashReports) || typeof crashReports.dir !== 'string' || crashReports.dir === '') throw badOption(`${caller}: crashReports must be { dir: string, memoryDump?: boolean }`);
    if (crashReports.memoryDump !== undefined && typeof crashReports.memoryDump !== 'boolean') throw badOption(`${caller}: crashReports.memoryDump must be true or false`);
  }
  resolveDeadline(options.startTimeoutMs, DEFAULT_START_TIMEOUT_MS, `${caller}: startTimeoutMs`);
  return options as LoadOptions<any>;
}

