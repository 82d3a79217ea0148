// What every group of import implementations works on.
import type { FdTable } from './fd-table.js';
import type { GuestMemory } from './guest-memory.js';
import type { ResolvedWasiOptions } from './options.js';

export interface WasiContext {
  readonly memory: GuestMemory;
  readonly fds: FdTable;
  readonly options: ResolvedWasiOptions;
}
