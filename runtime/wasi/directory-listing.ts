// fd_readdir: a directory's entries, and how they are packed into the guest's buffer.
// The listing is read once when the guest starts at cookie 0 and then served by index, so the
// cookies (entry indexes) stay valid while the guest pages through a directory that changes.
import { fstatSync, lstatSync, readdirSync } from 'node:fs';
import { DIRENT_HEADER_SIZE, FileType } from './abi.js';
import { fileTypeOf } from './filestat.js';
import { procPath } from './held-directory.js';

export interface DirectoryEntry {
  readonly name: Uint8Array;
  readonly inode: bigint;
  readonly type: number;
}

const encoder = new TextEncoder();

/** The entries of the held directory `hostFd` (read through /proc/self/fd, so never another one). */
export function listDirectory(hostFd: number): DirectoryEntry[] {
  const entries: DirectoryEntry[] = [
    { name: encoder.encode('.'), inode: fstatSync(hostFd, { bigint: true }).ino, type: FileType.DIRECTORY },
    // The parent may lie outside the sandbox: its inode is not looked up (0 = unknown).
    { name: encoder.encode('..'), inode: 0n, type: FileType.DIRECTORY },
  ];
  for (const name of readdirSync(procPath(hostFd))) {
    const stats = lstatSync(procPath(hostFd, name), { bigint: true, throwIfNoEntry: false });
    if (stats) entries.push({ name: encoder.encode(name), inode: stats.ino, type: fileTypeOf(stats) });
  }
  return entries;
}

/**
 * Writes __wasi_dirent_t headers, each followed by its name, starting at entry `cookie`, and
 * returns the bytes used. The last entry may be cut off: a full buffer tells wasi-libc to come
 * back (with a bigger buffer if one entry does not fit), a shorter one means the end.
 */
export function packDirectoryEntries(entries: readonly DirectoryEntry[], cookie: bigint, target: Uint8Array): number {
  const header = new DataView(new ArrayBuffer(DIRENT_HEADER_SIZE));
  const headerBytes = new Uint8Array(header.buffer);
  let used = 0;
  for (let index = cookie; index < BigInt(entries.length) && used < target.length; index++) {
    const entry = entries[Number(index)]!;
    header.setBigUint64(0, index + 1n, true);
    header.setBigUint64(8, entry.inode, true);
    header.setUint32(16, entry.name.length, true);
    header.setUint8(20, entry.type);
    for (const part of [headerBytes, entry.name]) {
      const fitting = part.subarray(0, target.length - used);
      target.set(fitting, used);
      used += fitting.length;
    }
  }
  return used;
}
