// The path_* calls. Every path is resolved inside its directory descriptor by
// resolveConfinedPath; a read-only preopen (and everything opened below it) answers any
// modification with EROFS, which C code reports as "Read-only file system".
import { closeSync, constants, fstatSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync, renameSync, rmdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { FdFlags, LOOKUP_SYMLINK_FOLLOW, OpenFlags, READ_RIGHTS, WRITE_RIGHTS } from './abi.js';
import { resolveConfinedPath, type ConfinedPath } from './confined-path.js';
import type { WasiContext } from './context.js';
import { Errno, WasiErrnoError } from './errno.js';
import type { DirectoryDescriptor } from './fd-table.js';
import { filestatOf, requestedTimes, writeFilestat } from './filestat.js';
import type { Preview1Handlers } from './preview1.js';

export function pathImports({ memory, fds }: WasiContext) {
  /** The directory `fd` and the host path the guest path names inside it. */
  const locate = (fd: number, path: number, pathLength: number, followFinalSymlink: boolean): { directory: DirectoryDescriptor; target: ConfinedPath } => {
    const directory = fds.directory(fd);
    return { directory, target: resolveConfinedPath(directory.hostPath, memory.string(path, pathLength), followFinalSymlink) };
  };

  return {
    path_open(fd, lookupFlags, path, pathLength, openFlags, rightsBase, rightsInheriting, fdFlags, fdOut) {
      // Checked before anything is opened, so a bad pointer cannot leave a host fd behind.
      memory.bytes(fdOut, 4);
      const create = (openFlags & OpenFlags.CREAT) !== 0;
      const exclusive = create && (openFlags & OpenFlags.EXCL) !== 0;
      // O_CREAT|O_EXCL never follows a final symlink (POSIX).
      const follow = (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0 && !exclusive;
      const { directory, target } = locate(fd, path, pathLength, follow);
      const base = BigInt.asUintN(64, rightsBase);
      const inheriting = BigInt.asUintN(64, rightsInheriting);
      const truncate = (openFlags & OpenFlags.TRUNC) !== 0;
      // preview1 carries the access mode (O_RDONLY/O_WRONLY/O_RDWR) only in the requested rights.
      const write = (base & WRITE_RIGHTS) !== 0n || truncate || (fdFlags & FdFlags.APPEND) !== 0;
      const read = (base & READ_RIGHTS) !== 0n || !write;

      const existing = (follow ? statSync : lstatSync)(target.hostPath, { throwIfNoEntry: false });
      if (existing) {
        if (exclusive) throw new WasiErrnoError(Errno.EXIST);
        if (existing.isSymbolicLink()) throw new WasiErrnoError(Errno.LOOP);
        if (existing.isDirectory()) {
          if (write) throw new WasiErrnoError(Errno.ISDIR);
          memory.setU32(fdOut, fds.add({
            kind: 'directory', hostPath: target.hostPath, readOnly: directory.readOnly, preopenName: undefined,
            listing: undefined, flags: fdFlags, rightsBase: base, rightsInheriting: inheriting,
          }));
          return;
        }
        if (openFlags & OpenFlags.DIRECTORY) throw new WasiErrnoError(Errno.NOTDIR);
        // Devices, FIFOs and sockets are not offered (opening a FIFO would block the thread).
        if (!existing.isFile()) throw new WasiErrnoError(Errno.NOTCAPABLE);
        if (write && directory.readOnly) throw new WasiErrnoError(Errno.ROFS);
      } else {
        if (!create) throw new WasiErrnoError(Errno.NOENT);
        if (openFlags & OpenFlags.DIRECTORY) throw new WasiErrnoError(Errno.INVAL);
        if (directory.readOnly) throw new WasiErrnoError(Errno.ROFS);
      }

      let hostFlags = (write ? (read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY) | (constants.O_NOFOLLOW ?? 0);
      if (!existing) hostFlags |= constants.O_CREAT | (exclusive ? constants.O_EXCL : 0);
      if (truncate) hostFlags |= constants.O_TRUNC;
      const hostFd = openSync(target.hostPath, hostFlags, 0o666);
      let opened: number;
      try {
        // The entry may have changed since it was checked; only a regular file is kept.
        if (!fstatSync(hostFd).isFile()) throw new WasiErrnoError(Errno.NOTCAPABLE);
        opened = fds.add({
          kind: 'file', hostFd, readOnly: directory.readOnly, position: 0,
          flags: fdFlags, rightsBase: base, rightsInheriting: inheriting,
        });
      } catch (error) {
        closeSync(hostFd);
        throw error;
      }
      memory.setU32(fdOut, opened);
    },

    path_filestat_get(fd, lookupFlags, path, pathLength, filestatOut) {
      const follow = (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const { target } = locate(fd, path, pathLength, follow);
      writeFilestat(memory, filestatOut, filestatOf((follow ? statSync : lstatSync)(target.hostPath, { bigint: true })));
    },

    path_filestat_set_times(fd, lookupFlags, path, pathLength, atim, mtim, fstFlags) {
      const follow = (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0;
      const { directory, target } = locate(fd, path, pathLength, follow);
      writable(directory);
      const current = (follow ? statSync : lstatSync)(target.hostPath, { bigint: true });
      (follow ? utimesSync : lutimesSync)(target.hostPath, ...requestedTimes(current, atim, mtim, fstFlags));
    },

    path_create_directory(fd, path, pathLength) {
      const { directory, target } = locate(fd, path, pathLength, false);
      writable(directory);
      mkdirSync(target.hostPath);
    },

    path_remove_directory(fd, path, pathLength) {
      const { directory, target } = locate(fd, path, pathLength, false);
      writable(directory);
      notBase(target);
      rmdirSync(target.hostPath);
    },

    path_unlink_file(fd, path, pathLength) {
      const { directory, target } = locate(fd, path, pathLength, false);
      writable(directory);
      if (target.isBase) throw new WasiErrnoError(Errno.ISDIR);
      unlinkSync(target.hostPath);
    },

    path_rename(fd, oldPath, oldPathLength, newFd, newPath, newPathLength) {
      const from = locate(fd, oldPath, oldPathLength, false);
      const to = locate(newFd, newPath, newPathLength, false);
      writable(from.directory);
      writable(to.directory);
      notBase(from.target);
      notBase(to.target);
      renameSync(from.target.hostPath, to.target.hostPath);
    },

    path_link(oldFd, oldLookupFlags, oldPath, oldPathLength, newFd, newPath, newPathLength) {
      const from = locate(oldFd, oldPath, oldPathLength, (oldLookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0);
      const to = locate(newFd, newPath, newPathLength, false);
      // A hard link shares the file: linking out of a read-only preopen would make it writable.
      writable(from.directory);
      writable(to.directory);
      linkSync(from.target.hostPath, to.target.hostPath);
    },

    path_readlink(fd, path, pathLength, buf, bufLength, bufUsedOut) {
      const { target } = locate(fd, path, pathLength, false);
      const buffer = memory.bytes(buf, bufLength);
      memory.bytes(bufUsedOut, 4);
      const link = readlinkSync(target.hostPath, { encoding: 'buffer' });
      const copied = link.subarray(0, buffer.length);
      buffer.set(copied);
      memory.setU32(bufUsedOut, copied.length);
    },

    // Symlinks are how paths escape: the guest may follow ones inside its directories but
    // cannot make new ones (host tools would follow them without this host's checks).
    path_symlink() {
      throw new WasiErrnoError(Errno.NOTCAPABLE);
    },
  } satisfies Partial<Preview1Handlers>;
}

function writable(directory: DirectoryDescriptor): void {
  if (directory.readOnly) throw new WasiErrnoError(Errno.ROFS);
}

/** A guest may not remove or move the directory its descriptor stands for ("." or "a/.."). */
function notBase(target: ConfinedPath): void {
  if (target.isBase) throw new WasiErrnoError(Errno.NOTCAPABLE);
}
