// A handle is a C pointer to an object the library keeps in its sandbox. It is only good in the
// instance that made it: after a recycle the object is gone, and the address could name
// anything in the new instance, so an old handle is refused, never passed on.
import { describeValue } from './describe-value.js';
import { CboxArgumentError, StaleHandleError } from './errors.js';

let nextOwnerId = 1;

/** Identity of one sandbox (or native library), shared by the handles it gives out. */
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

  /**
   * @internal The C address behind a handle argument, once it is proven to be a Handle this
   * owner made in this generation. The brand check (a private field) refuses look-alikes such
   * as Object.create(Handle.prototype), which `instanceof` would accept.
   */
  static addressFor(value: unknown, owner: HandleOwner, generation: number, fn: string, param: string): number {
    if (typeof value !== 'object' || value === null || !(#owner in value)) {
      throw new CboxArgumentError(`${fn}: ${param} must be a Handle returned by ${owner.library} (got ${describeValue(value)})`);
    }
    if (value.#owner !== owner) throw new StaleHandleError(`${fn}: ${param} is ${value}, which belongs to another library, engine or sandbox`);
    if (value.#generation !== generation) {
      throw new StaleHandleError(`${fn}: ${param} is ${value}, from sandbox generation ${value.#generation}; the sandbox was recycled (now generation ${generation}) and the C object is gone`);
    }
    return value.#address;
  }
}
