// cbox's WASI preview1 host: deny-by-default, synchronous (node:fs *Sync), one per wasm
// instance. Every preview1 function exists so any wasi-libc module links; what is not granted
// answers with an errno (ENOTCAPABLE for a withheld capability, ENOSYS for what is not
// implemented, EBADF for an fd that is not open, EROFS for writes below a read-only preopen),
// never with a host exception. The only exceptions that cross into wasm are WasiExit
// (proc_exit), whatever the stdout/stderr callbacks throw, and genuine host bugs.
import { Rights } from './abi.js';
import { clockImports } from './clock-imports.js';
import type { WasiContext } from './context.js';
import { Errno, WasiErrnoError, errnoOfHostError } from './errno.js';
import { fdImports } from './fd-imports.js';
import { FdTable } from './fd-table.js';
import { GuestMemory } from './guest-memory.js';
import { HeldDirectory, openGrant, reopenGrant } from './held-directory.js';
import { LineOutput } from './line-output.js';
import { resolveWasiOptions, type WasiOptions } from './options.js';
import { pathImports } from './path-imports.js';
import type { Preview1Handlers, WasiPreview1Imports } from './preview1.js';
import { processImports } from './process-imports.js';

export { WasiExit } from './exit.js';
export type { PreopenOptions, WasiOptions } from './options.js';
export { WASI_FUNCTIONS, WASI_MODULE, type WasiPreview1Imports } from './preview1.js';

export interface WasiHost {
  /** The `wasi_snapshot_preview1` import object. */
  readonly imports: WasiPreview1Imports;
  /** Attaches the instance's memory; call once it exists (again for a new instance). */
  bind(memory: WebAssembly.Memory): void;
  /** Delivers any unterminated last line of stdout and stderr. */
  flush(): void;
  /**
   * Flushes output, closes every host fd the guest opened and restores the initial descriptor
   * table (stdio + preopens, each opened again on first use, so a discarded host holds no
   * fd). Call when the instance is discarded or recycled.
   */
  reset(): void;
  /** Host files currently held open on the guest's behalf. */
  readonly openHostFiles: number;
}

const STDIN_RIGHTS = Rights.FD_READ | Rights.FD_FILESTAT_GET | Rights.POLL_FD_READWRITE;
const OUTPUT_RIGHTS = Rights.FD_WRITE | Rights.FD_FILESTAT_GET | Rights.POLL_FD_READWRITE;

/**
 * Throws CboxError('bad-wasi-options') when a preopen is not a directory, /proc/self/fd is not
 * available for preopens (Linux only, see held-directory.ts), or an argument contains NUL.
 */
export function createWasiHost(options: WasiOptions = {}): WasiHost {
  const resolved = resolveWasiOptions(options);
  const context: WasiContext = { memory: new GuestMemory(), fds: new FdTable(), options: resolved };
  const stdout = new LineOutput(resolved.stdout);
  const stderr = new LineOutput(resolved.stderr);

  /** `opening`: the preopens are opened now (and checked); after a reset each opens on first use. */
  const populate = (opening: boolean): void => {
    const { fds } = context;
    fds.add({ kind: 'stdin', flags: 0, rightsBase: STDIN_RIGHTS, rightsInheriting: 0n });
    fds.add({ kind: 'output', sink: stdout, flags: 0, rightsBase: OUTPUT_RIGHTS, rightsInheriting: 0n });
    fds.add({ kind: 'output', sink: stderr, flags: 0, rightsBase: OUTPUT_RIGHTS, rightsInheriting: 0n });
    // wasi-libc finds preopens by probing fd_prestat_get from fd 3 up to the first EBADF.
    // Each holds its host directory open, so renaming or replacing the path later changes nothing.
    try {
      for (const preopen of resolved.preopens) {
        const held = opening
          ? new HeldDirectory(openGrant(preopen.guestName, preopen.hostPath))
          : new HeldDirectory(undefined, () => reopenGrant(preopen.hostPath));
        fds.add({
          kind: 'directory', held, grantPath: preopen.hostPath,
          readOnly: preopen.readOnly, preopenName: preopen.guestName,
          listing: undefined, flags: 0, rightsBase: Rights.ALL, rightsInheriting: Rights.ALL,
        });
      }
    } catch (error) {
      // No preopen fd stays behind when a later one cannot be opened.
      fds.closeAll();
      throw error;
    }
  };
  populate(true);

  const flush = (): void => {
    try {
      stdout.flush();
    } finally {
      stderr.flush();
    }
  };

  return {
    imports: guard({
      ...processImports(context),
      ...clockImports(context),
      ...fdImports(context),
      ...pathImports(context),
      ...socketImports(),
    }),
    bind: (memory) => context.memory.bind(memory),
    flush,
    reset() {
      try {
        flush();
      } finally {
        context.fds.closeAll();
        populate(false);
      }
    },
    get openHostFiles() {
      return context.fds.openHostFiles;
    },
  };
}

/** No sockets are ever handed to the guest. */
function socketImports() {
  const unavailable = (): void => {
    throw new WasiErrnoError(Errno.NOSYS);
  };
  return {
    sock_accept: unavailable, sock_recv: unavailable, sock_send: unavailable, sock_shutdown: unavailable,
  } satisfies Partial<Preview1Handlers>;
}

/** Turns the handlers' "return or throw" into preview1's errno return values. */
function guard(handlers: Preview1Handlers): WasiPreview1Imports {
  const imports: Record<string, (...args: never[]) => number> = {};
  for (const [name, handler] of Object.entries(handlers) as [string, (...args: never[]) => void][]) {
    imports[name] = (...args) => {
      try {
        handler(...args);
        return Errno.SUCCESS;
      } catch (error) {
        if (error instanceof WasiErrnoError) return error.errno;
        const errno = errnoOfHostError(error);
        if (errno !== undefined) return errno;
        throw error;
      }
    };
  }
  return imports as unknown as WasiPreview1Imports;
}
