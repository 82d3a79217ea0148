// Messages between the benchmark and its child-process sandbox (child_process IPC with advanced
// serialization: Uint8Array and bigint cross as they are).
export interface CallRequest {
  readonly id: number;
  readonly library: 'kernels' | 'zoo';
  readonly fn: string;
  readonly args: readonly unknown[];
}

export type CallReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };

export interface ReadyMessage { readonly ready: true }
