// The wasi_snapshot_preview1 import signatures as a wasm32 module calls them (wasi/api.h
// lowered to core wasm): i32 arrives as number (pointers may look negative: read them with
// >>> 0), i64 as bigint, and strings as pointer + length. Every function returns an errno,
// except proc_exit, which does not return.

export const WASI_MODULE = 'wasi_snapshot_preview1';

// A type alias, not an interface, so it is assignable to WebAssembly.Imports' index signature.
export type WasiPreview1Imports = {
  args_get(argv: number, argvBuf: number): number;
  args_sizes_get(argcOut: number, argvBufSizeOut: number): number;
  environ_get(environ: number, environBuf: number): number;
  environ_sizes_get(countOut: number, bufSizeOut: number): number;
  clock_res_get(clockId: number, resolutionOut: number): number;
  clock_time_get(clockId: number, precision: bigint, timeOut: number): number;
  fd_advise(fd: number, offset: bigint, length: bigint, advice: number): number;
  fd_allocate(fd: number, offset: bigint, length: bigint): number;
  fd_close(fd: number): number;
  fd_datasync(fd: number): number;
  fd_fdstat_get(fd: number, fdstatOut: number): number;
  fd_fdstat_set_flags(fd: number, flags: number): number;
  fd_fdstat_set_rights(fd: number, rightsBase: bigint, rightsInheriting: bigint): number;
  fd_filestat_get(fd: number, filestatOut: number): number;
  fd_filestat_set_size(fd: number, size: bigint): number;
  fd_filestat_set_times(fd: number, atim: bigint, mtim: bigint, fstFlags: number): number;
  fd_pread(fd: number, iovs: number, iovsLength: number, offset: bigint, nreadOut: number): number;
  fd_prestat_get(fd: number, prestatOut: number): number;
  fd_prestat_dir_name(fd: number, path: number, pathLength: number): number;
  fd_pwrite(fd: number, iovs: number, iovsLength: number, offset: bigint, nwrittenOut: number): number;
  fd_read(fd: number, iovs: number, iovsLength: number, nreadOut: number): number;
  fd_readdir(fd: number, buf: number, bufLength: number, cookie: bigint, bufUsedOut: number): number;
  fd_renumber(fd: number, to: number): number;
  fd_seek(fd: number, offset: bigint, whence: number, newOffsetOut: number): number;
  fd_sync(fd: number): number;
  fd_tell(fd: number, offsetOut: number): number;
  fd_write(fd: number, iovs: number, iovsLength: number, nwrittenOut: number): number;
  path_create_directory(fd: number, path: number, pathLength: number): number;
  path_filestat_get(fd: number, lookupFlags: number, path: number, pathLength: number, filestatOut: number): number;
  path_filestat_set_times(fd: number, lookupFlags: number, path: number, pathLength: number, atim: bigint, mtim: bigint, fstFlags: number): number;
  path_link(oldFd: number, oldLookupFlags: number, oldPath: number, oldPathLength: number, newFd: number, newPath: number, newPathLength: number): number;
  path_open(fd: number, lookupFlags: number, path: number, pathLength: number, openFlags: number, rightsBase: bigint, rightsInheriting: bigint, fdFlags: number, fdOut: number): number;
  path_readlink(fd: number, path: number, pathLength: number, buf: number, bufLength: number, bufUsedOut: number): number;
  path_remove_directory(fd: number, path: number, pathLength: number): number;
  path_rename(fd: number, oldPath: number, oldPathLength: number, newFd: number, newPath: number, newPathLength: number): number;
  path_symlink(oldPath: number, oldPathLength: number, fd: number, newPath: number, newPathLength: number): number;
  path_unlink_file(fd: number, path: number, pathLength: number): number;
  poll_oneoff(subscriptions: number, eventsOut: number, subscriptionCount: number, eventCountOut: number): number;
  proc_exit(code: number): never;
  proc_raise(signal: number): number;
  sched_yield(): number;
  random_get(buf: number, bufLength: number): number;
  sock_accept(fd: number, flags: number, fdOut: number): number;
  sock_recv(fd: number, riData: number, riDataLength: number, riFlags: number, roDataLengthOut: number, roFlagsOut: number): number;
  sock_send(fd: number, siData: number, siDataLength: number, siFlags: number, soDataLengthOut: number): number;
  sock_shutdown(fd: number, how: number): number;
};

/**
 * How the host implements an import: return normally for success, throw WasiErrnoError (or a
 * node:fs system error) for an errno. The host's guard turns that into the return value.
 */
export type Preview1Handlers = {
  [Name in keyof WasiPreview1Imports]: (...args: Parameters<WasiPreview1Imports[Name]>) => void;
};

// An object literal so the compiler insists every preview1 function is listed exactly once.
const NAMES: Record<keyof WasiPreview1Imports, true> = {
  args_get: true, args_sizes_get: true, environ_get: true, environ_sizes_get: true,
  clock_res_get: true, clock_time_get: true,
  fd_advise: true, fd_allocate: true, fd_close: true, fd_datasync: true, fd_fdstat_get: true,
  fd_fdstat_set_flags: true, fd_fdstat_set_rights: true, fd_filestat_get: true, fd_filestat_set_size: true,
  fd_filestat_set_times: true, fd_pread: true, fd_prestat_get: true, fd_prestat_dir_name: true, fd_pwrite: true,
  fd_read: true, fd_readdir: true, fd_renumber: true, fd_seek: true, fd_sync: true, fd_tell: true, fd_write: true,
  path_create_directory: true, path_filestat_get: true, path_filestat_set_times: true, path_link: true,
  path_open: true, path_readlink: true, path_remove_directory: true, path_rename: true, path_symlink: true,
  path_unlink_file: true,
  poll_oneoff: true, proc_exit: true, proc_raise: true, sched_yield: true, random_get: true,
  sock_accept: true, sock_recv: true, sock_send: true, sock_shutdown: true,
};

/** Every function the wasi_snapshot_preview1 module defines; the host provides them all. */
export const WASI_FUNCTIONS: ReadonlySet<string> = new Set(Object.keys(NAMES));
