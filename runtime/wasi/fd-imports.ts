// The fd_* calls: reading, writing, seeking and inspecting open descriptors.
// Files use positioned host I/O (pread/pwrite at the fd's own offset); APPEND is done here by
// writing at the current end, so fd_fdstat_set_flags can switch it on and off at any time.
import { fdatasyncSync, fstatSync, fsyncSync, ftruncateSync, futimesSync, readvSync, writevSync } from 'node:fs';
import { FDSTAT_SIZE, FdFlags, FileType, PREOPEN_TYPE_DIR, PRESTAT_SIZE, Whence } from './abi.js';
import type { WasiContext } from './context.js';
import { listDirectory, packDirectoryEntries } from './directory-listing.js';
import { Errno, WasiErrnoError } from './errno.js';
import { hostFdOf, type Descriptor, type FdTable, type FileDescriptor } from './fd-table.js';
import { CHARACTER_DEVICE_FILESTAT, filestatOf, requestedTimes, writeFilestat } from './filestat.js';
import type { Preview1Handlers } from './preview1.js';

const encoder = new TextEncoder();
const KNOWN_FDFLAGS = FdFlags.APPEND | FdFlags.DSYNC | FdFlags.NONBLOCK | FdFlags.RSYNC | FdFlags.SYNC;

export function fdImports({ memory, fds }: WasiContext) {
  return {
    fd_read(fd, iovs, iovsLength, nreadOut) {
      const descriptor = fds.get(fd);
      memory.bytes(nreadOut, 4);
      const buffers = memory.iovecs(iovs, iovsLength);
      let count = 0;
      if (descriptor.kind === 'file') {
        count = readAt(descriptor.hostFd, buffers, descriptor.position);
        descriptor.position += count;
      } else if (descriptor.kind === 'directory') {
        throw new WasiErrnoError(Errno.ISDIR);
      } else if (descriptor.kind === 'output') {
        throw new WasiErrnoError(Errno.BADF);
      } // stdin is always at end-of-file: the guest gets no input from the host.
      memory.setU32(nreadOut, count);
    },

    fd_pread(fd, iovs, iovsLength, offset, nreadOut) {
      const file = seekableFile(fds, fd);
      memory.bytes(nreadOut, 4);
      memory.setU32(nreadOut, readAt(file.hostFd, memory.iovecs(iovs, iovsLength), fileOffset(offset)));
    },

    fd_write(fd, iovs, iovsLength, nwrittenOut) {
      const descriptor = fds.get(fd);
      memory.bytes(nwrittenOut, 4);
      const buffers = memory.iovecs(iovs, iovsLength);
      let count = 0;
      if (descriptor.kind === 'output') {
        for (const buffer of buffers) {
          descriptor.sink.write(buffer);
          count += buffer.length;
        }
      } else if (descriptor.kind === 'file') {
        const position = descriptor.flags & FdFlags.APPEND ? fstatSync(descriptor.hostFd).size : descriptor.position;
        count = writevSync(descriptor.hostFd, buffers, position);
        descriptor.position = position + count;
        syncIfAsked(descriptor);
      } else {
        throw new WasiErrnoError(descriptor.kind === 'directory' ? Errno.ISDIR : Errno.BADF);
      }
      memory.setU32(nwrittenOut, count);
    },

    fd_pwrite(fd, iovs, iovsLength, offset, nwrittenOut) {
      const file = seekableFile(fds, fd);
      memory.bytes(nwrittenOut, 4);
      const buffers = memory.iovecs(iovs, iovsLength);
      const position = fileOffset(offset);
      if (position + buffers.reduce((total, buffer) => total + buffer.length, 0) > Number.MAX_SAFE_INTEGER) throw new WasiErrnoError(Errno.FBIG);
      memory.setU32(nwrittenOut, writevSync(file.hostFd, buffers, position));
      syncIfAsked(file);
    },

    fd_seek(fd, offset, whence, newOffsetOut) {
      const file = seekableFile(fds, fd);
      memory.bytes(newOffsetOut, 8);
      let base: number;
      if (whence === Whence.SET) base = 0;
      else if (whence === Whence.CUR) base = file.position;
      else if (whence === Whence.END) base = fstatSync(file.hostFd).size;
      else throw new WasiErrnoError(Errno.INVAL);
      const target = BigInt(base) + offset;
      if (target < 0n) throw new WasiErrnoError(Errno.INVAL);
      if (target > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiErrnoError(Errno.OVERFLOW);
      file.position = Number(target);
      memory.setU64(newOffsetOut, target);
    },

    fd_tell(fd, offsetOut) {
      memory.setU64(offsetOut, seekableFile(fds, fd).position);
    },

    fd_close(fd) {
      fds.close(fd);
    },

    fd_renumber(fd, to) {
      fds.renumber(fd, to);
    },

    fd_sync(fd) {
      syncDescriptor(fds.get(fd), fsyncSync);
    },

    fd_datasync(fd) {
      syncDescriptor(fds.get(fd), fdatasyncSync);
    },

    fd_advise(fd, _offset, _length, advice) {
      seekableFile(fds, fd);
      if (advice > 5) throw new WasiErrnoError(Errno.INVAL);
      // Advice is only a hint; node:fs has no posix_fadvise.
    },

    fd_allocate(fd, offset, length) {
      const file = resizableFile(fds, fd);
      const end = BigInt.asUintN(64, offset) + BigInt.asUintN(64, length);
      if (end > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiErrnoError(Errno.FBIG);
      if (fstatSync(file.hostFd).size < Number(end)) ftruncateSync(file.hostFd, Number(end));
    },

    fd_fdstat_get(fd, fdstatOut) {
      const descriptor = fds.get(fd);
      memory.bytes(fdstatOut, FDSTAT_SIZE).fill(0);
      memory.setU8(fdstatOut, fileTypeOfDescriptor(descriptor));
      memory.setU16(fdstatOut + 2, descriptor.flags);
      memory.setU64(fdstatOut + 8, descriptor.rightsBase);
      memory.setU64(fdstatOut + 16, descriptor.rightsInheriting);
    },

    fd_fdstat_set_flags(fd, flags) {
      fds.get(fd).flags = flags & KNOWN_FDFLAGS;
    },

    /** Rights can only be dropped, never gained. */
    fd_fdstat_set_rights(fd, rightsBase, rightsInheriting) {
      const descriptor = fds.get(fd);
      const base = BigInt.asUintN(64, rightsBase);
      const inheriting = BigInt.asUintN(64, rightsInheriting);
      if ((base & ~descriptor.rightsBase) !== 0n || (inheriting & ~descriptor.rightsInheriting) !== 0n) throw new WasiErrnoError(Errno.NOTCAPABLE);
      descriptor.rightsBase = base;
      descriptor.rightsInheriting = inheriting;
    },

    fd_filestat_get(fd, filestatOut) {
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'file' || descriptor.kind === 'directory') writeFilestat(memory, filestatOut, filestatOf(fstatSync(hostFdOf(descriptor), { bigint: true })));
      else writeFilestat(memory, filestatOut, CHARACTER_DEVICE_FILESTAT);
    },

    fd_filestat_set_size(fd, size) {
      const file = resizableFile(fds, fd);
      const length = BigInt.asUintN(64, size);
      if (length > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiErrnoError(Errno.FBIG);
      ftruncateSync(file.hostFd, Number(length));
    },

    fd_filestat_set_times(fd, atim, mtim, fstFlags) {
      const descriptor = fds.get(fd);
      if (descriptor.kind === 'file' || descriptor.kind === 'directory') {
        if (descriptor.readOnly) throw new WasiErrnoError(Errno.ROFS);
        const hostFd = hostFdOf(descriptor);
        futimesSync(hostFd, ...requestedTimes(fstatSync(hostFd, { bigint: true }), atim, mtim, fstFlags));
      } else {
        throw new WasiErrnoError(Errno.NOTSUP);
      }
    },

    fd_prestat_get(fd, prestatOut) {
      const name = preopenName(fds, fd);
      memory.bytes(prestatOut, PRESTAT_SIZE).fill(0);
      memory.setU8(prestatOut, PREOPEN_TYPE_DIR);
      memory.setU32(prestatOut + 4, name.length);
    },

    fd_prestat_dir_name(fd, path, pathLength) {
      const name = preopenName(fds, fd);
      if (pathLength >>> 0 < name.length) throw new WasiErrnoError(Errno.NAMETOOLONG);
      memory.bytes(path, name.length).set(name);
    },

    fd_readdir(fd, buf, bufLength, cookie, bufUsedOut) {
      const directory = fds.directory(fd);
      memory.bytes(bufUsedOut, 4);
      const start = BigInt.asUintN(64, cookie);
      if (start === 0n || directory.listing === undefined) directory.listing = listDirectory(directory.held.fd);
      memory.setU32(bufUsedOut, packDirectoryEntries(directory.listing, start, memory.bytes(buf, bufLength)));
    },
  } satisfies Partial<Preview1Handlers>;
}

/** A descriptor that has an offset: only regular files (the stdio streams are pipes to the guest). */
function seekableFile(fds: FdTable, fd: number): FileDescriptor {
  const descriptor = fds.get(fd);
  if (descriptor.kind === 'file') return descriptor;
  throw new WasiErrnoError(descriptor.kind === 'directory' ? Errno.ISDIR : Errno.SPIPE);
}

/** readv(2) with no buffers reads nothing, but node:fs calls it an invalid argument. */
function readAt(hostFd: number, buffers: Uint8Array[], position: number): number {
  return buffers.length === 0 ? 0 : readvSync(hostFd, buffers, position);
}

/** A file whose size may change: none below a read-only preopen. */
function resizableFile(fds: FdTable, fd: number): FileDescriptor {
  const file = seekableFile(fds, fd);
  if (file.readOnly) throw new WasiErrnoError(Errno.ROFS);
  return file;
}

function fileOffset(offset: bigint): number {
  const position = BigInt.asUintN(64, offset);
  if (position > BigInt(Number.MAX_SAFE_INTEGER)) throw new WasiErrnoError(Errno.INVAL);
  return Number(position);
}

/** O_SYNC / O_DSYNC (fdflags from path_open or fd_fdstat_set_flags) mean durable before returning. */
function syncIfAsked(file: FileDescriptor): void {
  if (file.flags & FdFlags.SYNC) fsyncSync(file.hostFd);
  else if (file.flags & FdFlags.DSYNC) fdatasyncSync(file.hostFd);
}

function syncDescriptor(descriptor: Descriptor, sync: (hostFd: number) => void): void {
  // For a directory this makes created/renamed entries durable (SQLite syncs the directory of a new journal).
  if (descriptor.kind === 'file' || descriptor.kind === 'directory') {
    sync(hostFdOf(descriptor));
  } else {
    throw new WasiErrnoError(Errno.INVAL);
  }
}

/**
 * The stdio streams are character devices without seek/tell rights: that is how wasi-libc's
 * isatty() recognises a terminal, which makes C's stdout line-buffered.
 */
function fileTypeOfDescriptor(descriptor: Descriptor): number {
  if (descriptor.kind === 'file') return FileType.REGULAR_FILE;
  if (descriptor.kind === 'directory') return FileType.DIRECTORY;
  return FileType.CHARACTER_DEVICE;
}

function preopenName(fds: FdTable, fd: number): Uint8Array {
  const descriptor = fds.get(fd);
  if (descriptor.kind !== 'directory' || descriptor.preopenName === undefined) throw new WasiErrnoError(Errno.BADF);
  return encoder.encode(descriptor.preopenName);
}
