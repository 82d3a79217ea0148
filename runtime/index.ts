// cbox: call C from Node.js without betting the process on it.
export { load, loadSync, type LoadOptions, type CLogger, type WasiGrants } from './load.js';
export type {
  Library, LibraryControl, Engine, LibraryStats, FunctionStats, SupervisionControl, ReloadOptions, MeterControl,
} from './library-api.js';
export type { CallLimits } from './metering/meter.js';
export type { MeterOptions } from './metering/limits.js';
export { calibrate } from './native/calibrate.js';
export { routesOf } from './native/routes.js';
export type { Calibration, CalibrationOptions, RouteDecision, Route } from './native/calibration.js';
export type { Binding, GenericExports } from './binding.js';
export type { AbiStamp, ExportSignature, ValueType, ParamType, ResultType } from './abi.js';
export type { SandboxStats, CrashReportOptions } from './sandbox.js';
export type { LibraryEvents, TrapEvent, RecycleEvent, StartFailedEvent, BreakerEvent, ReloadEvent } from './events.js';
export { CircuitOpenError } from './supervise/circuit-open-error.js';
export type {
  SupervisionOptions, BreakerOptions, BreakerRules, ErrorRateRule, LatencyRule, WindowSpec, Fallbacks, RecyclePolicy, StatsOptions, TelemetryOptions,
} from './supervise/options.js';
export type { CircuitState } from './supervise/circuit-state.js';
export type { LatencySummary } from './supervise/latency-recorder.js';
export type { CallOutcome } from './supervise/telemetry.js';
export { Handle } from './handles.js';
export { createPool } from './pool/pool.js';
export type { Pool, PoolControl, PoolFunctions, PoolOptions, PoolReloadOptions, CallOptions, CloseOptions, PoolEvents, RespawnEvent, RespawnFailedEvent, PoolReloadEvent } from './pool/api.js';
export type { PoolStats, PoolWorkerStats, CallCounts } from './pool/stats.js';
export { CboxQueueFullError, CboxWorkerExitError } from './pool/errors.js';
export {
  CboxError, CboxTrap, CboxLoadError, CboxArgumentError, CboxCallError, StaleHandleError, CboxClosedError,
  TRAP_KINDS, type TrapKind, type CrashReport, type CFrame, type ArgumentShape,
} from './errors.js';
