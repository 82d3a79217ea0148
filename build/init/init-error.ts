// What `cbox init --header` can fail on, each with a code a caller can branch on.
export type InitErrorCode =
  | 'missing-file'    // the header or a source does not exist
  | 'header-error'    // clang could not parse the header (diagnostics attached, with file:line)
  | 'clang-failed'    // clang did not run, timed out, or wrote an AST cbox cannot read
  | 'nothing-mapped'  // no function of the header maps to a manifest type
  | 'out-exists'      // the manifest file is there already (pass force to replace it)
  | 'bad-option';

export class InitError extends Error {
  constructor(readonly code: InitErrorCode, message: string, readonly diagnostics = '') {
    super(diagnostics ? `${message}\n${diagnostics}` : message);
    this.name = 'InitError';
  }
}
