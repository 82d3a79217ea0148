// __wasi_filestat_t: what fstat/stat report to the guest, and the file-time updates that
// fd_filestat_set_times / path_filestat_set_times ask for.
import type { BigIntStats, Stats } from 'node:fs';
import { FILESTAT_SIZE, FileType, FstFlags } from './abi.js';
import { Errno, WasiErrnoError } from './errno.js';
import type { GuestMemory } from './guest-memory.js';

export interface Filestat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly filetype: number;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly atim: bigint;
  readonly mtim: bigint;
  readonly ctim: bigint;
}

/** stdin/stdout/stderr are virtual character devices with no host file behind them. */
export const CHARACTER_DEVICE_FILESTAT: Filestat = {
  dev: 0n, ino: 0n, filetype: FileType.CHARACTER_DEVICE, nlink: 1n, size: 0n, atim: 0n, mtim: 0n, ctim: 0n,
};

export function fileTypeOf(stats: Pick<Stats, 'isFile' | 'isDirectory' | 'isSymbolicLink' | 'isCharacterDevice' | 'isBlockDevice' | 'isSocket'>): number {
  if (stats.isFile()) return FileType.REGULAR_FILE;
  if (stats.isDirectory()) return FileType.DIRECTORY;
  if (stats.isSymbolicLink()) return FileType.SYMBOLIC_LINK;
  if (stats.isCharacterDevice()) return FileType.CHARACTER_DEVICE;
  if (stats.isBlockDevice()) return FileType.BLOCK_DEVICE;
  if (stats.isSocket()) return FileType.SOCKET_STREAM;
  return FileType.UNKNOWN;
}

export function filestatOf(stats: BigIntStats): Filestat {
  return {
    dev: stats.dev, ino: stats.ino, filetype: fileTypeOf(stats), nlink: stats.nlink, size: stats.size,
    atim: stats.atimeNs, mtim: stats.mtimeNs, ctim: stats.ctimeNs,
  };
}

export function writeFilestat(memory: GuestMemory, pointer: number, stat: Filestat): void {
  memory.bytes(pointer, FILESTAT_SIZE).fill(0);
  memory.setU64(pointer, stat.dev);
  memory.setU64(pointer + 8, stat.ino);
  memory.setU8(pointer + 16, stat.filetype);
  memory.setU64(pointer + 24, stat.nlink);
  memory.setU64(pointer + 32, stat.size);
  memory.setU64(pointer + 40, stat.atim);
  memory.setU64(pointer + 48, stat.mtim);
  memory.setU64(pointer + 56, stat.ctim);
}

/**
 * The [atime, mtime] (seconds, as node:fs takes them) a set_times call asks for: each is the
 * given timestamp, now, or left as it is.
 */
export function requestedTimes(current: BigIntStats, atim: bigint, mtim: bigint, fstFlags: number): [number, number] {
  return [
    pickTime(current.atimeNs, atim, fstFlags & FstFlags.ATIM, fstFlags & FstFlags.ATIM_NOW),
    pickTime(current.mtimeNs, mtim, fstFlags & FstFlags.MTIM, fstFlags & FstFlags.MTIM_NOW),
  ];
}

function pickTime(currentNs: bigint, requestedNs: bigint, useRequested: number, useNow: number): number {
  if (useRequested && useNow) throw new WasiErrnoError(Errno.INVAL);
  if (useNow) return Date.now() / 1000;
  return Number(useRequested ? BigInt.asUintN(64, requestedNs) : currentNs) / 1e9;
}
