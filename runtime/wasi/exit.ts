// proc_exit must end the guest, never the Node process: it throws this through the wasm stack,
// and whoever called into the module catches it (the instance is then unusable, like after a trap).

export class WasiExit extends Error {
  constructor(readonly code: number) {
    super(`exit(${code})`);
    this.name = 'WasiExit';
  }
}
