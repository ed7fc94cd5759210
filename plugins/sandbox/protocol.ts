/**
 * The envelopes exchanged by the host and a sandbox process over their socket, one JSON array per line.
 * The sandbox process routes frames between the host and its workers without reading them; `id` is the
 * plugin id the host gave the worker, stamped by the sandbox process, never taken from a frame.
 * @module
 */

/** Deno permissions of one worker: lists grant exactly those entries, `false` grants nothing. */
export interface WorkerPermissions {
  read: string[] | false;
  net: string[] | false;
  env: string[] | false;
  write: false;
  run: false;
  ffi: false;
  sys: false;
  import: false;
}

/** Host → sandbox process. */
export type HostEnvelope =
  /** Start a worker for a plugin with these permissions. */
  | ["spawn", id: string, permissions: WorkerPermissions]
  /** Deliver a JSON-RPC frame to a worker. */
  | ["m", id: string, frame: string]
  /** Deliver one frame to several workers (context mirror updates). */
  | ["mc", ids: string[], frame: string]
  /** Terminate a worker. */
  | ["kill", id: string];

/** Sandbox process → host. */
export type SandboxEnvelope =
  /** A JSON-RPC frame a worker posted. */
  | ["m", id: string, frame: string]
  /** A worker failed (uncaught error outside the bootstrap's handlers, or a failed start). */
  | ["error", id: string, message: string]
  /** A worker posted something that is not a frame (not a string, or too large); it was dropped. */
  | ["drop", id: string, what: string];

/** Largest frame, in UTF-16 units, either side forwards. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;
