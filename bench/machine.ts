// What the numbers were measured on: they only mean something next to this.
import os from 'node:os';
import { inspectToolchain } from '../build/toolchain.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memory: string;
  readonly os: string;
  readonly node: string;
  readonly v8: string;
  readonly clang: string;
  readonly date: string;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    clang: inspectToolchain().toolchain?.clangVersion ?? 'not found',
    date: new Date().toISOString(),
  };
}
