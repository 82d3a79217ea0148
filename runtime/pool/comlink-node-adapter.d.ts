// comlink ships its Node adapter as an .mjs file whose typings (node-adapter.d.ts) TypeScript
// does not pair with the .mjs path under NodeNext resolution: declare the one function we use.
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';

  export interface NodeEndpoint {
    postMessage(message: unknown, transfer?: readonly unknown[]): void;
    on(type: string, listener: (value: unknown) => void): void;
    off(type: string, listener: (value: unknown) => void): void;
    start?: () => void;
  }

  /** Adapts a worker_threads Worker or MessagePort to comlink's Endpoint. */
  export default function nodeEndpoint(endpoint: NodeEndpoint): Endpoint;
}
