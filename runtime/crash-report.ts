// The crash report of a trap: what died, where in the C code, with what kind of arguments
// (never their contents), and optionally written to files with a dump of the dead memory.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { argumentShape } from './argument-shape.js';
import type { CrashReport } from './errors.js';
import type { SandboxInstance } from './instance.js';
import type { Classified } from './traps.js';

export interface CrashReportOptions {
  /** Folder to write each crash report (JSON) into. */
  readonly dir: string;
  /** Also write the dead instance's linear memory (<report>.mem). */
  readonly memoryDump?: boolean;
}

/** What the report needs of the sandbox the instance belonged to. */
interface SandboxView {
  readonly name: string;
  readonly options: { readonly memoryLimit: number };
  readonly compiled: { readonly stamp: { readonly hash: string; readonly stackSize: number }; readonly sha256: string };
  highWater(instance: SandboxInstance): number;
}

export function crashReport(classified: Classified, fn: string, args: readonly unknown[], dead: SandboxInstance, sandbox: SandboxView): CrashReport {
  return {
    kind: classified.kind,
    message: classified.message,
    export: fn,
    args: args.map(argumentShape),
    cStack: classified.cStack,
    ...(classified.exitCode !== undefined ? { exitCode: classified.exitCode } : {}),
    ...(classified.fuel !== undefined ? { fuel: classified.fuel } : {}),
    memory: { size: dead.memoryBytes, limit: sandbox.options.memoryLimit, highWater: sandbox.highWater(dead) },
    stackPointer: dead.stackPointerValue,
    stackSize: sandbox.compiled.stamp.stackSize,
    callsSinceStart: dead.calls,
    module: { name: sandbox.name, abiHash: sandbox.compiled.stamp.hash, sha256: sandbox.compiled.sha256 },
    generation: dead.generation,
    time: new Date().toISOString(),
  };
}

export function writeCrashReport(report: CrashReport, dir: string, memory: Uint8Array | null): { report: string; memoryDump?: string } {
  mkdirSync(dir, { recursive: true });
  const stem = path.join(dir, `${report.module.name}-${report.time.replace(/[:.]/g, '-')}-gen${report.generation}-${report.kind}`);
  const files: { report: string; memoryDump?: string } = { report: `${stem}.json` };
  if (memory) {
    files.memoryDump = `${stem}.mem`;
    writeFileSync(files.memoryDump, memory);
  }
  writeFileSync(files.report, `${JSON.stringify({ ...report, files }, null, 2)}\n`);
  return files;
}
