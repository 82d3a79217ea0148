// A handle is a C pointer to an object the library keeps in its sandbox. It is only good in the
// instance that made it: after a recycle the object is gone, and the address could name
// anything in the new instance, so an old handle is refused, never passed on.
let nextOwnerId = 1;

/** Identity of one sandbox, shared by the handles it gives out. */
export class HandleOwner {
  readonly id = nextOwnerId++;
  constructor(readonly library: string) {}
}

export class Handle {
  readonly #owner: HandleOwner;
  readonly #generation: number;
  readonly #address: number;
  constructor(owner: HandleOwner, generation: number, address: number) {
    this.#owner = owner;
    this.#generation = generation;
    this.#address = address;
    Object.freeze(this);
  }
  /** The sandbox instance generation this handle belongs to. */
  get generation(): number { return this.#generation; }
  /** The C address inside the sandbox (for display; it means nothing outside). */
  get address(): number { return this.#address; }
  get library(): string { return this.#owner.library; }
  toString(): string {
    return `Handle(${this.#owner.library}#${this.#owner.id} gen ${this.#generation} @0x${this.#address.toString(16)})`;
  }
  /** @internal */
  static ownerOf(handle: Handle): HandleOwner { return handle.#owner; }
}
