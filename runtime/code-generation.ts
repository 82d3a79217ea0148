// Whether this process may compile code from strings: not under node
// --disallow-code-generation-from-strings (or a CSP-like embedder policy). The invokers and the
// callback trampolines are generated when it may, and made of closures when it may not.
export const canGenerateCode = ((): boolean => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the probe itself
    return new Function('return true')() === true;
  } catch {
    return false;
  }
})();
