// cbox's WASI host against a real wasi-libc module (c-src/wasi-fixture), compiled here with
// the toolchain `cbox build` finds, for wasm32-wasi as a reactor that imports its memory.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASI_FUNCTIONS, WasiExit, createWasiHost, type WasiHost, type WasiOptions } from '../runtime/wasi/host.js';
import { inspectModule } from '../runtime/wasm-inspect.js';
import { findToolchain } from '../build/toolchain.js';

const FIXTURE = fileURLToPath(new URL('../c-src/wasi-fixture/wasi_fixture.c', import.meta.url));
const EXPORTS = [
  'say_hello', 'greeting_state', 'file_round_trip', 'sqlite_like_io', 'read_only_refusals', 'escape_attempts',
  'exit_with_three', 'leave_file_open', 'fd_status', 'clock_and_random', 'count_entries', 'sleep_ms',
  'outward_symlink_attempts', 'open_held_directory', 'first_byte_at',
];
const EBADF = 8;
const EFAULT = 21;
const ELOOP = 32;
const ENOENT = 44;
const ENOSYS = 52;
const ENOTDIR = 54;
const ENOTCAPABLE = 76;
const RIGHT_FD_READ = 1n << 1n;
const OFLAG_DIRECTORY = 2;

let work: string;
let module: WebAssembly.Module;
let initialPages: number;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cbox-wasi-test-'));
  // The compiler and sysroot `cbox build` would use (build/toolchain.ts finds them).
  const { clang, sysroot } = findToolchain();
  const object = join(work, 'fixture.o');
  const wasm = join(work, 'fixture.wasm');
  const target = ['--target=wasm32-wasi', `--sysroot=${sysroot}`];
  execFileSync(clang, [...target, '-O2', '-Wall', '-Werror', '-c', FIXTURE, '-o', object]);
  execFileSync(clang, [
    ...target, '-mexec-model=reactor', object, '-o', wasm,
    '-Wl,--import-memory', '-Wl,--stack-first', '-Wl,-z,stack-size=65536',
    ...EXPORTS.map((name) => `-Wl,--export=${name}`),
  ]);
  const bytes = readFileSync(wasm);
  module = new WebAssembly.Module(bytes);
  const memoryImport = inspectModule(bytes).imports.find((entry) => entry.kind === 'memory');
  initialPages = memoryImport!.memory!.minPages;
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Guest {
  readonly call: Record<string, (...args: number[]) => number>;
  readonly host: WasiHost;
  readonly memory: WebAssembly.Memory;
  readonly stdout: string[];
  readonly stderr: string[];
}

function start(options: WasiOptions = {}): Guest {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const host = createWasiHost({ stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line), ...options });
  const memory = new WebAssembly.Memory({ initial: initialPages, maximum: 1024 });
  const instance = new WebAssembly.Instance(module, { env: { memory }, wasi_snapshot_preview1: host.imports });
  host.bind(memory);
  (instance.exports._initialize as () => void)();
  return { call: instance.exports as Guest['call'], host, memory, stdout, stderr };
}

function freshDirectory(name: string): string {
  return mkdtempSync(join(work, `${name}-`));
}

/** path_open called straight from the host side: the errno, and the new fd closed again. */
function rawOpen(guest: Guest, path: string, openFlags = 0): number {
  const scratch = scratchPage(guest.memory);
  const { written } = new TextEncoder().encodeInto(path, new Uint8Array(guest.memory.buffer, scratch + 8));
  const errno = guest.host.imports.path_open(3, 1, scratch + 8, written, openFlags, RIGHT_FD_READ, 0n, 0, scratch);
  if (errno === 0) guest.host.imports.fd_close(new DataView(guest.memory.buffer).getUint32(scratch, true));
  return errno;
}

/** A page the guest does not use yet, for hand-made import arguments. */
function scratchPage(memory: WebAssembly.Memory): number {
  return memory.grow(1) * 65536;
}

describe('WASI host: linking and stdio', () => {
  it('provides every preview1 function, so any wasi-libc module links', () => {
    const host = createWasiHost();
    expect(WASI_FUNCTIONS.size).toBe(46);
    for (const name of WASI_FUNCTIONS) expect(typeof (host.imports as Record<string, unknown>)[name]).toBe('function');
    const imported = WebAssembly.Module.imports(module).filter((entry) => entry.module === 'wasi_snapshot_preview1');
    for (const entry of imported) expect(WASI_FUNCTIONS.has(entry.name)).toBe(true);
  });

  it('delivers printf output line by line, and the unterminated last line on flush', () => {
    const guest = start();
    expect(guest.call.say_hello!()).toBe(0);
    expect(guest.stdout).toEqual(['hello from C 42', 'multi', 'line output']);
    expect(guest.stderr).toEqual(['warning: careful']);
    guest.host.flush();
    expect(guest.stdout).toEqual(['hello from C 42', 'multi', 'line output', 'unterminated tail']);
    guest.host.flush();
    expect(guest.stdout).toHaveLength(4);
  });

  it('decodes UTF-8 split across writes and discards output without a callback', () => {
    const guest = start();
    const scratch = scratchPage(guest.memory);
    const bytes = new Uint8Array(guest.memory.buffer);
    const writeBytes = (data: number[]): number => {
      bytes.set(data, scratch + 64);
      new DataView(guest.memory.buffer).setUint32(scratch, scratch + 64, true);
      new DataView(guest.memory.buffer).setUint32(scratch + 4, data.length, true);
      return guest.host.imports.fd_write(1, scratch, 1, scratch + 16);
    };
    const euro = [...new TextEncoder().encode('€')];
    expect(writeBytes([0x61, euro[0]!])).toBe(0);
    expect(writeBytes([...euro.slice(1), 0x0a])).toBe(0);
    expect(new DataView(guest.memory.buffer).getUint32(scratch + 16, true)).toBe(3);
    expect(guest.stdout).toEqual(['a€']);

    const silent = createWasiHost();
    silent.bind(guest.memory);
    expect(silent.imports.fd_write(1, scratch, 1, scratch + 16)).toBe(0);
  });

  it('cuts a line without newlines into bounded pieces', () => {
    const lines: string[] = [];
    const host = createWasiHost({ stderr: (line) => lines.push(line) });
    const memory = new WebAssembly.Memory({ initial: 3 });
    host.bind(memory);
    new Uint8Array(memory.buffer).fill(0x78, 1024, 1024 + 150_000);
    const view = new DataView(memory.buffer);
    view.setUint32(0, 1024, true);
    view.setUint32(4, 150_000, true);
    expect(host.imports.fd_write(2, 0, 1, 8)).toBe(0);
    host.flush();
    expect(lines.map((line) => line.length)).toEqual([65536, 65536, 150_000 - 2 * 65536]);
  });
});

describe('WASI host: capabilities', () => {
  it('passes no environment unless granted', () => {
    process.env.CBOX_GREETING = 'hi';
    try {
      expect(start().call.greeting_state!()).toBe(0);
    } finally {
      delete process.env.CBOX_GREETING;
    }
    const granted = start({ env: { CBOX_GREETING: 'hi' } });
    expect(granted.call.greeting_state!()).toBe(1);
    expect(granted.stdout).toEqual(['greeting=hi']);
  });

  it('passes args as given', () => {
    const guest = start({ args: ['prog', 'één'] });
    const scratch = scratchPage(guest.memory);
    const view = () => new DataView(guest.memory.buffer);
    expect(guest.host.imports.args_sizes_get(scratch, scratch + 4)).toBe(0);
    expect(view().getUint32(scratch, true)).toBe(2);
    expect(view().getUint32(scratch + 4, true)).toBe(5 + 6);
    expect(guest.host.imports.args_get(scratch + 16, scratch + 64)).toBe(0);
    const second = view().getUint32(scratch + 20, true);
    expect(new TextDecoder().decode(new Uint8Array(guest.memory.buffer, second, 5))).toBe('één');
  });

  it('withholds the clock and randomness when asked', () => {
    expect(start().call.clock_and_random!()).toBe(3);
    const denied = start({ clock: false, random: false });
    expect(denied.call.clock_and_random!()).toBe(0);
    expect(denied.host.imports.random_get(0, 4)).toBe(ENOTCAPABLE);
    expect(denied.host.imports.clock_time_get(0, 0n, 0)).toBe(ENOTCAPABLE);
  });

  it('lets the guest sleep through poll_oneoff', () => {
    const guest = start();
    const started = performance.now();
    expect(guest.call.sleep_ms!(30)).toBe(0);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('answers unimplemented and bad-fd calls with an errno', () => {
    const { host } = start();
    expect(host.imports.sock_send(1, 0, 0, 0, 0)).toBe(ENOSYS);
    expect(host.imports.proc_raise(9)).toBe(ENOSYS);
    expect(host.imports.fd_write(99, 0, 0, 0)).toBe(EBADF);
    expect(host.imports.fd_prestat_get(3, 0)).toBe(EBADF);
    expect(host.imports.fd_fdstat_set_flags(-1, 0)).toBe(EBADF);
  });
});

describe('WASI host: files', () => {
  it('round-trips files and directories in a read-write preopen', () => {
    const data = freshDirectory('rw');
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(guest.call.file_round_trip!()).toBe(0);
    expect(readFileSync(join(data, 'note.txt'), 'utf8')).toBe('hello file\nsecond line\n');
    expect(readFileSync(join(data, 'kept.txt'), 'utf8')).toBe('written by C');
    expect(readdirSync(data).sort()).toEqual(['kept.txt', 'note.txt']);
  });

  it('supports the I/O pattern of SQLite\'s unix VFS', () => {
    const data = freshDirectory('db');
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(guest.call.sqlite_like_io!()).toBe(0);
    expect(existsSync(join(data, 'db.bin'))).toBe(false);
    expect(guest.host.openHostFiles).toBe(0);
  });

  it('refuses every modification in a read-only preopen', () => {
    const data = freshDirectory('rw');
    const readOnly = freshDirectory('ro');
    writeFileSync(join(readOnly, 'input.txt'), 'input');
    const guest = start({ preopens: { '/data': { path: data }, '/ro': { path: readOnly, readOnly: true } } });
    expect(guest.call.read_only_refusals!()).toBe(0);
    expect(readdirSync(readOnly)).toEqual(['input.txt']);
    expect(readFileSync(join(readOnly, 'input.txt'), 'utf8')).toBe('input');
    expect(readdirSync(data)).toEqual([]);
  });

  it('keeps paths inside the preopen: absolute paths, "..", and symlinks leading out are refused', () => {
    const data = freshDirectory('jail');
    writeFileSync(join(work, 'secret.txt'), 'secret');
    writeFileSync(join(data, '..', 'escape'), 'outside');
    writeFileSync(join(data, 'inside.txt'), 'inside');
    mkdirSync(join(data, 'sub'));
    symlinkSync(join(work, 'secret.txt'), join(data, 'outside-link'));
    symlinkSync('sub/../inside.txt', join(data, 'inside-link'));
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(guest.call.escape_attempts!()).toBe(0);
    expect(existsSync(join(data, 'new-link'))).toBe(false);
    expect(guest.host.openHostFiles).toBe(0);
  });

  it('refuses what the C library would not even ask for', () => {
    const data = freshDirectory('raw');
    writeFileSync(join(data, 'file.txt'), 'x');
    symlinkSync('loop-b', join(data, 'loop-a'));
    symlinkSync('loop-a', join(data, 'loop-b'));
    // Absolute link targets are refused even when they point back inside.
    symlinkSync(join(data, 'file.txt'), join(data, 'absolute-inside'));
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(rawOpen(guest, 'file.txt')).toBe(0);
    expect(rawOpen(guest, './file.txt')).toBe(0);
    expect(rawOpen(guest, 'missing/../file.txt')).toBe(0);
    expect(rawOpen(guest, 'missing.txt')).toBe(ENOENT);
    expect(rawOpen(guest, 'loop-a')).toBe(ELOOP);
    expect(rawOpen(guest, 'absolute-inside')).toBe(ENOTCAPABLE);
    expect(rawOpen(guest, '..')).toBe(ENOTCAPABLE);
    expect(rawOpen(guest, '/')).toBe(ENOTCAPABLE);
    expect(rawOpen(guest, 'file.txt', OFLAG_DIRECTORY)).toBe(ENOTDIR);
    expect(rawOpen(guest, 'file.txt/')).toBe(ENOTDIR);
    if (process.platform !== 'win32') {
      execFileSync('mkfifo', [join(data, 'fifo')]);
      expect(rawOpen(guest, 'fifo')).toBe(ENOTCAPABLE);
    }
    expect(guest.host.openHostFiles).toBe(0);
  });

  it('lists directories larger than one readdir buffer', () => {
    const data = freshDirectory('many');
    for (let index = 0; index < 400; index++) writeFileSync(join(data, `a-rather-long-file-name-number-${index}.txt`), '');
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(guest.call.count_entries!()).toBe(402);
  });

  it('has no file system at all without preopens', () => {
    const guest = start();
    expect(guest.call.file_round_trip!()).toBe(1);
  });
});

describe('WASI host: grants hold while the host file system changes', () => {
  it('never lets the guest make a symlink that points elsewhere: no hard link of a symlink, no symlink moved to another directory', () => {
    const data = freshDirectory('links');
    const outside = join(work, 'outside');
    writeFileSync(outside, 'outside');
    mkdirSync(join(data, 'a'));
    writeFileSync(join(data, 'a', 'file.txt'), 'file');
    symlinkSync('..', join(data, 'a', 'up'));
    symlinkSync('file.txt', join(data, 'a', 'inside-link'));
    symlinkSync('../../outside', join(data, 'a', 'out'));
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(guest.call.outward_symlink_attempts!()).toBe(0);
    expect(readdirSync(data).sort()).toEqual(['a', 'hard.txt', 'moved.txt', 'plain-link.txt']);
    expect(readdirSync(join(data, 'a')).sort()).toEqual(['inside-link', 'out', 'up']);
    expect(readlinkSync(join(data, 'a', 'up'))).toBe('..');
    // The followed link was linked as the file it names.
    expect(lstatSync(join(data, 'hard.txt')).isFile()).toBe(true);
    expect(lstatSync(join(data, 'moved.txt')).nlink).toBe(3);
    expect(readFileSync(outside, 'utf8')).toBe('outside');
  });

  it('keeps a directory fd on the same directory when the host renames it, and refuses it once moved out of the grant', () => {
    const data = freshDirectory('held-dir');
    mkdirSync(join(data, 'held'));
    writeFileSync(join(data, 'held', 'file.txt'), 'A');
    const guest = start({ preopens: { '/data': { path: data } } });
    const directory = guest.call.open_held_directory!();
    expect(directory).toBeGreaterThan(3);
    expect(guest.call.first_byte_at!(directory)).toBe('A'.charCodeAt(0));

    renameSync(join(data, 'held'), join(data, 'renamed'));
    mkdirSync(join(data, 'held'));
    writeFileSync(join(data, 'held', 'file.txt'), 'B');
    expect(guest.call.first_byte_at!(directory)).toBe('A'.charCodeAt(0));

    const away = mkdtempSync(join(work, 'away-'));
    renameSync(join(data, 'renamed'), join(away, 'renamed'));
    expect(guest.call.first_byte_at!(directory)).toBe(-ENOTCAPABLE);
  });

  it('refuses to open through a symlink the host swapped to point outside', () => {
    const data = freshDirectory('swap');
    const outside = mkdtempSync(join(work, 'outside-dir-'));
    writeFileSync(join(outside, 'file.txt'), 'secret');
    mkdirSync(join(data, 'inside'));
    writeFileSync(join(data, 'inside', 'file.txt'), 'inside');
    const swapTo = (target: string): void => {
      symlinkSync(target, join(data, 'next'));
      renameSync(join(data, 'next'), join(data, 'link'));
    };
    swapTo('inside');
    const guest = start({ preopens: { '/data': { path: data } } });
    expect(rawOpen(guest, 'link/file.txt')).toBe(0);
    swapTo(outside);
    expect(rawOpen(guest, 'link/file.txt')).toBe(ENOTCAPABLE);
    swapTo(join('..', outside.slice(work.length + 1)));
    expect(rawOpen(guest, 'link/file.txt')).toBe(ENOTCAPABLE);
    swapTo('inside/../../x');
    expect(rawOpen(guest, 'link/file.txt')).toBe(ENOTCAPABLE);
    swapTo('inside');
    expect(rawOpen(guest, 'link/file.txt')).toBe(0);
    expect(guest.host.openHostFiles).toBe(0);
  });

  it.runIf(process.platform === 'linux')('leaks no host fd: the walk closes what it held, and reset() what the guest held', () => {
    const before = processFds();
    const data = freshDirectory('leaks');
    mkdirSync(join(data, 'dir'));
    writeFileSync(join(data, 'inside.txt'), 'inside');
    symlinkSync('dir/../inside.txt', join(data, 'inside-link'));
    symlinkSync(join(work, 'secret.txt'), join(data, 'outside-link'));
    const guest = start({ preopens: { '/data': { path: data } } });
    // The preopen holds its directory: one fd.
    expect(processFds()).toBe(before + 1);
    expect(guest.call.file_round_trip!()).toBe(0);
    expect(guest.call.sqlite_like_io!()).toBe(0);
    for (const path of ['dir/../inside.txt', 'inside-link', 'outside-link', 'dir/../../x', 'dir/missing', 'missing/../dir/x', 'inside.txt/x', 'dir/./..']) rawOpen(guest, path);
    expect(processFds()).toBe(before + 1);
    expect(guest.call.leave_file_open!()).toBeGreaterThan(3);
    expect(guest.call.open_held_directory!()).toBe(-1);
    expect(processFds()).toBe(before + 2);
    // After a reset (how an instance is recycled or discarded) the preopen opens again on first use.
    guest.host.reset();
    expect(processFds()).toBe(before);
    expect(guest.call.count_entries!()).toBe(readdirSync(data).length + 2);
    expect(processFds()).toBe(before + 1);
    guest.host.reset();
    expect(processFds()).toBe(before);
  });
});

describe('WASI host: exit, faults and reset', () => {
  it('turns exit(3) into a WasiExit with code 3, flushing C stdio first, and Node lives on', () => {
    const guest = start();
    let caught: unknown;
    try {
      guest.call.exit_with_three!();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(WasiExit);
    expect((caught as WasiExit).code).toBe(3);
    expect(guest.stdout).toEqual(['about to exit']);
    expect(start().call.say_hello!()).toBe(0);
  });

  it('answers out-of-bounds guest pointers with EFAULT, never a host exception', () => {
    const data = freshDirectory('fault');
    const { host, memory } = start({ preopens: { '/data': { path: data } }, args: ['a'] });
    const end = memory.buffer.byteLength;
    expect(host.imports.fd_write(1, 0xfffffff0, 1, 0)).toBe(EFAULT);
    expect(host.imports.fd_write(1, -8, 1, 0)).toBe(EFAULT);
    expect(host.imports.fd_write(1, 0, 1, end)).toBe(EFAULT);
    expect(host.imports.args_sizes_get(end - 2, 0)).toBe(EFAULT);
    expect(host.imports.args_get(0, end)).toBe(EFAULT);
    expect(host.imports.random_get(end - 4, 8)).toBe(EFAULT);
    expect(host.imports.clock_time_get(1, 0n, end - 7)).toBe(EFAULT);
    expect(host.imports.path_open(3, 0, end - 2, 10, 0, 0n, 0n, 0, 0)).toBe(EFAULT);
    expect(host.imports.fd_prestat_dir_name(3, end, 5)).toBe(EFAULT);
    expect(host.imports.fd_readdir(3, end - 10, 100, 0n, 0)).toBe(EFAULT);
    expect(host.imports.poll_oneoff(0, 0, 0x7fffffff, 0)).toBe(EFAULT);

    // An iovec inside memory whose buffer is not.
    const scratch = scratchPage(memory);
    const view = new DataView(memory.buffer);
    view.setUint32(scratch, memory.buffer.byteLength - 4, true);
    view.setUint32(scratch + 4, 100, true);
    expect(host.imports.fd_write(1, scratch, 1, scratch + 8)).toBe(EFAULT);
    expect(host.openHostFiles).toBe(0);
  });

  it('follows the memory when it grows between calls', () => {
    const guest = start();
    const first = scratchPage(guest.memory);
    const later = scratchPage(guest.memory);
    const bytes = new Uint8Array(guest.memory.buffer);
    bytes.set(new TextEncoder().encode('grown\n'), later + 32);
    const view = new DataView(guest.memory.buffer);
    view.setUint32(later, later + 32, true);
    view.setUint32(later + 4, 6, true);
    expect(guest.host.imports.fd_write(1, later, 1, first)).toBe(0);
    expect(guest.stdout).toEqual(['grown']);
  });

  it('reset() closes the host files the guest left open and restores the descriptor table', () => {
    const data = freshDirectory('held');
    const guest = start({ preopens: { '/data': { path: data } } });
    const fd = guest.call.leave_file_open!();
    expect(fd).toBeGreaterThan(3);
    expect(guest.call.fd_status!(fd)).toBe(0);
    expect(guest.host.openHostFiles).toBe(1);
    const heldPath = join(data, 'held.txt');
    if (process.platform === 'linux') expect(hostFdsOpenOn(heldPath)).toBe(1);

    guest.host.reset();
    expect(guest.host.openHostFiles).toBe(0);
    if (process.platform === 'linux') expect(hostFdsOpenOn(heldPath)).toBe(0);
    expect(guest.call.fd_status!(fd)).toBe(EBADF);
    // stdio and the preopen are back: the recycled guest works as before.
    expect(guest.call.sqlite_like_io!()).toBe(0);
    expect(guest.call.say_hello!()).toBe(0);
  });
});

/** This process's open fds (Linux /proc), not counting the one readdir uses. */
function processFds(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

/** How many of this process's fds are open on `path` (Linux /proc). */
function hostFdsOpenOn(path: string): number {
  let count = 0;
  for (const entry of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${entry}`) === path) count++;
    } catch {
      // The fd readdir itself used is gone by now.
    }
  }
  return count;
}
