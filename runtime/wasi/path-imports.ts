// The path_* calls. Every path is resolved inside its directory descriptor by withConfinedPath,
// and each operation acts on the resolved entry of a held directory (never on a path string
// the host would resolve again), so it cannot be raced out of the grant. A read-only preopen
// (and everything opened below it) answers any modification with EROFS, which C code reports as
// "Read-only file system".
import { constants, fstatSync, ftruncateSync, futimesSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readlinkSync, renameSync, rmdirSync, unlinkSync, type BigIntStats, type Stats } from 'node:fs';
import { FdFlags, LOOKUP_SYMLINK_FOLLOW, OpenFlags, READ_RIGHTS, WRITE_RIGHTS } from './abi.js';
import { MAX_PATH_BYTES, withConfinedPath, type ConfinedPath } from './confined-path.js';
import type { WasiContext } from './context.js';
import { Errno, WasiErrnoError } from './errno.js';
import type { DirectoryDescriptor } from './fd-table.js';
import { filestatOf, requestedTimes, writeFilestat } from './filestat.js';
import { HeldDirectory, NO_FOLLOW, assertInsideGrant, closeQuietly, reopenDirectory, sameDirectory } from './held-directory.js';
import type { Preview1Handlers } from './preview1.js';

export function pathImports({ memory, fds }: WasiContext) {
  const guestPath = (path: number, pathLength: number): string => {
    if (pathLength >>> 0 > MAX_PATH_BYTES) throw new WasiErrnoError(Errno.NAMETOOLONG);
    return memory.string(path, pathLength);
  };
  /** Runs `use` on what the guest path names inside directory `fd`. */
  const at = <T>(fd: number, path: number, pathLength: number, followFinalSymlink: boolean, use: (target: ConfinedPath, directory: DirectoryDescriptor) => T): T => {
    const directory = fds.directory(fd);
    return withConfinedPath(directory, guestPath(path, pathLength), followFinalSymlink, (target) => use(target, directory));
  };

  return {
    path_open(fd, lookupFlags, path, pathLength, openFlags, rightsBase, rightsInheriting, fdFlags, fdOut) {
      // Checked before anything is opened, so a bad pointer cannot leave a host fd behind.
      memory.bytes(fdOut, 4);
      const create = (openFlags & OpenFlags.CREAT) !== 0;
      const exclusive = create && (openFlags & OpenFlags.EXCL) !== 0;
      const wantsDirectory = (openFlags & OpenFlags.DIRECTORY) !== 0;
      // O_CREAT|O_EXCL never follows a final symlink (POSIX).
      const follow = (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0 && !exclusive;
      const base = BigInt.asUintN(64, rightsBase);
      const inheriting = BigInt.asUintN(64, rightsInheriting);
      const truncate = (openFlags & OpenFlags.TRUNC) !== 0;
      // preview1 carries the access mode (O_RDONLY/O_WRONLY/O_RDWR) only in the requested rights.
      const write = (base & WRITE_RIGHTS) !== 0n || truncate || (fdFlags & FdFlags.APPEND) !== 0;
      const read = (base & READ_RIGHTS) !== 0n || !write;

      const directory = fds.directory(fd);
      const hostFd = withConfinedPath(directory, guestPath(path, pathLength), follow, (target) => {
        if (target.name === undefined) {
          // The held directory itself (".", "a/..").
          if (exclusive) throw new WasiErrnoError(Errno.EXIST);
          if (write) throw new WasiErrnoError(Errno.ISDIR);
          return reopenDirectory(target.parentFd);
        }
        if (directory.readOnly && (write || create)) {
          const existing = lstatSync(target.hostPath, { throwIfNoEntry: false });
          if (!existing) throw new WasiErrnoError(create ? Errno.ROFS : Errno.NOENT);
          if (exclusive) throw new WasiErrnoError(Errno.EXIST);
          if (write) throw new WasiErrnoError(existing.isDirectory() ? Errno.ISDIR : Errno.ROFS);
        }
        // O_NOFOLLOW: the entry checked is the entry opened; a symlink swapped in fails (ELOOP).
        // O_TRUNC is left out: the file is truncated only once it is known to be inside the grant.
        let hostFlags = (write ? (read ? constants.O_RDWR : constants.O_WRONLY) : constants.O_RDONLY) | NO_FOLLOW;
        if (wantsDirectory || target.mustBeDirectory) hostFlags |= constants.O_DIRECTORY;
        else if (create && !directory.readOnly) hostFlags |= constants.O_CREAT | (exclusive ? constants.O_EXCL : 0);
        try {
          return openSync(target.hostPath, hostFlags, 0o666);
        } catch (error) {
          if (create && wantsDirectory && (error as NodeJS.ErrnoException).code === 'ENOENT') throw new WasiErrnoError(Errno.INVAL);
          throw error;
        }
      });

      let opened: number;
      let isFile: boolean;
      try {
        // What was opened, by the kernel's account: a directory or a regular file inside the grant.
        const stats = fstatSync(hostFd);
        isFile = stats.isFile();
        // Devices, FIFOs and sockets are not offered.
        if (!isFile && !stats.isDirectory()) throw new WasiErrnoError(Errno.NOTCAPABLE);
        assertInsideGrant(hostFd, directory.grantPath);
        opened = fds.add(isFile
          ? { kind: 'file', hostFd, readOnly: directory.readOnly, position: 0, flags: fdFlags, rightsBase: base, rightsInheriting: inheriting }
          : {
              kind: 'directory', held: new HeldDirectory(hostFd), grantPath: directory.grantPath, readOnly: directory.readOnly, preopenName: undefined,
              listing: undefined, flags: fdFlags, rightsBase: base, rightsInheriting: inheriting,
            });
      } catch (error) {
        closeQuietly(hostFd);
        throw error;
      }
      if (truncate && isFile) {
        try {
          ftruncateSync(hostFd, 0);
        } catch (error) {
          fds.close(opened);
          throw error;
        }
      }
      memory.setU32(fdOut, opened);
    },

    path_filestat_get(fd, lookupFlags, path, pathLength, filestatOut) {
      at(fd, path, pathLength, (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0, (target) => {
        writeFilestat(memory, filestatOut, filestatOf(statEntry(target)));
      });
    },

    path_filestat_set_times(fd, lookupFlags, path, pathLength, atim, mtim, fstFlags) {
      at(fd, path, pathLength, (lookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0, (target, directory) => {
        writable(directory);
        const times = requestedTimes(statEntry(target), atim, mtim, fstFlags);
        // A symlink to follow was expanded by the walk: lutimes never follows one swapped in since.
        if (target.name === undefined) futimesSync(target.parentFd, ...times);
        else lutimesSync(target.hostPath, ...times);
      });
    },

    path_create_directory(fd, path, pathLength) {
      at(fd, path, pathLength, false, (target, directory) => {
        writable(directory);
        if (target.name === undefined) throw new WasiErrnoError(Errno.EXIST);
        mkdirSync(target.hostPath);
      });
    },

    path_remove_directory(fd, path, pathLength) {
      at(fd, path, pathLength, false, (target, directory) => {
        writable(directory);
        rmdirSync(entryPath(target));
      });
    },

    path_unlink_file(fd, path, pathLength) {
      at(fd, path, pathLength, false, (target, directory) => {
        writable(directory);
        if (target.name === undefined) throw new WasiErrnoError(Errno.ISDIR);
        if (target.mustBeDirectory) throw new WasiErrnoError(lstatSync(target.hostPath).isDirectory() ? Errno.ISDIR : Errno.NOTDIR);
        unlinkSync(target.hostPath);
      });
    },

    // A relative symlink means something else in another directory (`a/up -> ..` moved up one
    // level points above the grant), so a symlink may be renamed only within its directory.
    path_rename(fd, oldPath, oldPathLength, newFd, newPath, newPathLength) {
      at(fd, oldPath, oldPathLength, false, (from, fromDirectory) => at(newFd, newPath, newPathLength, false, (to, toDirectory) => {
        writable(fromDirectory);
        writable(toDirectory);
        const source = entryPath(from);
        const destination = entryPath(to);
        const moved = lstatSync(source);
        if (from.mustBeDirectory && !moved.isDirectory()) throw new WasiErrnoError(Errno.NOTDIR);
        const elsewhere = !sameDirectory(from.parentFd, to.parentFd);
        if (elsewhere && moved.isSymbolicLink()) throw new WasiErrnoError(Errno.NOTCAPABLE, 'a symlink may not change directory');
        renameSync(source, destination);
        if (elsewhere) undoSwappedSymlink(destination, moved);
      }));
    },

    // A hard link of a symlink is a new symlink: refused, like path_symlink.
    path_link(oldFd, oldLookupFlags, oldPath, oldPathLength, newFd, newPath, newPathLength) {
      at(oldFd, oldPath, oldPathLength, (oldLookupFlags & LOOKUP_SYMLINK_FOLLOW) !== 0, (from, fromDirectory) => at(newFd, newPath, newPathLength, false, (to, toDirectory) => {
        // A hard link shares the file: linking out of a read-only preopen would make it writable.
        writable(fromDirectory);
        writable(toDirectory);
        if (from.name === undefined) throw new WasiErrnoError(Errno.PERM);
        if (to.name === undefined) throw new WasiErrnoError(Errno.EXIST);
        const linked = lstatSync(from.hostPath);
        if (linked.isSymbolicLink()) throw new WasiErrnoError(Errno.NOTCAPABLE, 'symlinks cannot be linked');
        linkSync(from.hostPath, to.hostPath);
        undoSwappedSymlink(to.hostPath, linked);
      }));
    },

    path_readlink(fd, path, pathLength, buf, bufLength, bufUsedOut) {
      at(fd, path, pathLength, false, (target) => {
        const buffer = memory.bytes(buf, bufLength);
        memory.bytes(bufUsedOut, 4);
        if (target.name === undefined || target.mustBeDirectory) throw new WasiErrnoError(Errno.INVAL);
        const link = readlinkSync(target.hostPath, { encoding: 'buffer' });
        const copied = link.subarray(0, buffer.length);
        buffer.set(copied);
        memory.setU32(bufUsedOut, copied.length);
      });
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

/** The entry to remove or move: never the directory a path names by "." or "a/..". */
function entryPath(target: ConfinedPath): string {
  if (target.name === undefined) throw new WasiErrnoError(Errno.NOTCAPABLE);
  return target.hostPath;
}

/** The entry's own stat (a final symlink to follow was already expanded), or the held directory's. */
function statEntry(target: ConfinedPath): BigIntStats {
  if (target.name === undefined) return fstatSync(target.parentFd, { bigint: true });
  const stats = lstatSync(target.hostPath, { bigint: true });
  if (target.mustBeDirectory && !stats.isDirectory()) throw new WasiErrnoError(Errno.NOTDIR);
  return stats;
}

/**
 * After a rename or link into another directory: if a symlink now sits where the checked entry
 * went, another thread swapped it in between the check and the operation. It is removed again;
 * the window left (another thread moving it on first) is documented in the README.
 */
function undoSwappedSymlink(hostPath: string, checked: Stats): void {
  const now = lstatSync(hostPath, { throwIfNoEntry: false });
  if (!now?.isSymbolicLink() || now.ino === checked.ino) return;
  try {
    unlinkSync(hostPath);
  } catch {
    // Gone already.
  }
  throw new WasiErrnoError(Errno.NOTCAPABLE, 'a symlink was swapped in');
}
