// cbox: call C from Node.js without betting the process on it.
export { load, type LoadOptions, type CLogger } from './load.js';
export type { Library, LibraryControl, Engine } from './library.js';
export type { Binding, GenericExports } from './binding.js';
export type { AbiStamp, ExportSignature, ValueType, ResultType } from './abi.js';
export type { SandboxStats, CrashReportOptions } from './sandbox.js';
export type { LibraryEvents, TrapEvent, RecycleEvent } from './events.js';
export { Handle } from './handles.js';
export {
  CboxError, CboxTrap, CboxLoadError, CboxArgumentError, CboxCallError, StaleHandleError, CboxClosedError,
  TRAP_KINDS, type TrapKind, type CrashReport, type CFrame, type ArgumentShape,
} from './errors.js';
