// What a guest may reach: nothing from the host process unless granted here.
// Options are checked and normalised once, when the host is created.
import { realpathSync, statSync } from 'node:fs';
import { CboxError } from '../errors.js';

export interface PreopenOptions {
  /** Host directory the guest sees under the preopen's name. */
  readonly path: string;
  /** Refuse every write, create, truncate, rename and unlink below it (EROFS). */
  readonly readOnly?: boolean;
}

export interface WasiOptions {
  /** argv; empty by default (argv[0] is conventionally the program name). */
  readonly args?: readonly string[];
  /** The guest's whole environment; nothing from process.env is passed unless listed here. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Guest directory name (e.g. "/data") -> host directory. No preopens: no file system at all.
   * Needs Linux with /proc mounted: guest paths are resolved race-free through held directory fds
   * there (runtime/wasi/confined-path.ts); elsewhere createWasiHost refuses with bad-wasi-options.
   */
  readonly preopens?: Readonly<Record<string, PreopenOptions>>;
  /**
   * Receives each line C writes to stdout, without the '\n'. Output is discarded when absent.
   * Called during the guest's write: an exception thrown here fails the guest's call.
   */
  readonly stdout?: (line: string) => void;
  readonly stderr?: (line: string) => void;
  /** random_get allowed (crypto.getRandomValues). Default true. */
  readonly random?: boolean;
  /** clock_time_get, clock_res_get and poll_oneoff timeouts allowed. Default true. */
  readonly clock?: boolean;
}

export interface Preopen {
  readonly guestName: string;
  /** Real path (symlinks resolved) of the host directory. */
  readonly hostPath: string;
  readonly readOnly: boolean;
}

export interface ResolvedWasiOptions {
  /** argv entries as UTF-8 bytes, each NUL-terminated as the guest receives them. */
  readonly args: readonly Uint8Array[];
  /** "KEY=value" entries, UTF-8, NUL-terminated. */
  readonly env: readonly Uint8Array[];
  readonly preopens: readonly Preopen[];
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly random: boolean;
  readonly clock: boolean;
}

const encoder = new TextEncoder();
const discard = (): void => {};

export function resolveWasiOptions(options: WasiOptions): ResolvedWasiOptions {
  const env = Object.entries(options.env ?? {}).map(([key, value]) => {
    if (key === '' || key.includes('=')) invalid(`environment variable name ${JSON.stringify(key)} is empty or contains '='`);
    return cString(`${key}=${value}`, `environment variable ${key}`);
  });
  return {
    args: (options.args ?? []).map((arg, index) => cString(arg, `args[${index}]`)),
    env,
    preopens: Object.entries(options.preopens ?? {}).map(([guestName, preopen]) => resolvePreopen(guestName, preopen)),
    stdout: options.stdout ?? discard,
    stderr: options.stderr ?? discard,
    random: options.random ?? true,
    clock: options.clock ?? true,
  };
}

function resolvePreopen(guestName: string, preopen: PreopenOptions): Preopen {
  if (guestName === '' || guestName.includes('\0')) invalid(`preopen name ${JSON.stringify(guestName)} is empty or contains NUL`);
  let hostPath: string;
  try {
    hostPath = realpathSync(preopen.path);
  } catch (error) {
    invalid(`preopen ${guestName}: host directory ${preopen.path} cannot be opened: ${(error as Error).message}`);
  }
  if (!statSync(hostPath).isDirectory()) invalid(`preopen ${guestName}: ${preopen.path} is not a directory`);
  return { guestName, hostPath, readOnly: preopen.readOnly ?? false };
}

/** C sees these as NUL-terminated strings, so an embedded NUL would silently cut them short. */
function cString(text: string, what: string): Uint8Array {
  if (text.includes('\0')) invalid(`${what} contains a NUL character`);
  return encoder.encode(`${text}\0`);
}

function invalid(message: string): never {
  throw new CboxError('bad-wasi-options', message);
}
