// The one rule for names that reach the host from a manifest or a stamp: C identifiers, bounded.

/** Longest export, parameter or library name cbox accepts (C compilers accept more; nobody needs it). */
export const MAX_NAME_LENGTH = 255;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A C identifier of at most MAX_NAME_LENGTH characters: the only names that reach the host. */
export function isCIdentifier(name: unknown): name is string {
  return typeof name === 'string' && name.length <= MAX_NAME_LENGTH && C_IDENTIFIER.test(name);
}
