// Where the C code's stdout and stderr lines go.
export interface CLogger {
  stdout?(line: string): void;
  stderr?(line: string): void;
}

/** The default: each line to process.stderr, prefixed with the library's name. */
export function defaultLogger(name: string): Required<CLogger> {
  return {
    stdout: (line) => process.stderr.write(`[cbox:${name}] ${line}\n`),
    stderr: (line) => process.stderr.write(`[cbox:${name}:stderr] ${line}\n`),
  };
}
