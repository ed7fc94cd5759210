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

/**
 * Parts `m` and `mc` envelopes on the wire: they are written as the JSON text of their first two members,
 * this character, then the frame's text as it is. JSON text never holds a raw U+0001, so the first one
 * ends the envelope's head; a frame (a long chat's part is 1 MiB) is neither escaped by the host nor
 * parsed by the sandbox process.
 */
export const FRAME_MARK = "\u0001";

/** Host → sandbox process (see {@link FRAME_MARK} for how `m` and `mc` are written). */
export type HostEnvelope =
  /** Start a worker for a plugin with these permissions. */
  | ["spawn", id: string, permissions: WorkerPermissions]
  /** Deliver a JSON-RPC frame to a worker. */
  | ["m", id: string, frame: string]
  /** Deliver one frame to several workers (context mirror updates). */
  | ["mc", ids: string[], frame: string]
  /** Terminate a worker. */
  | ["kill", id: string]
  /**
   * Requests to several workers in sequence: the sandbox process posts each frame when the one before
   * it was answered with `null` or timed out (each worker's deadline counted from its first frame of the
   * sequence); any other answer ends the sequence.
   */
  | ["seq", seq: number, items: SequenceItem[]];

/** One request of a sequence: the worker, the request id its answer carries, the frame, the deadline. */
export type SequenceItem = [id: string, requestId: string, frame: string, timeoutMs: number];

/** Sandbox process → host. */
export type SandboxEnvelope =
  /** A JSON-RPC frame a worker posted. */
  | ["m", id: string, frame: string]
  /**
   * A worker's answer to item `index` of sequence `seq`, `ms` milliseconds after the item was posted to
   * it (its listener's run time, for the generation trace: answers `null` reach the host together at
   * the end of the sequence).
   */
  | ["a", id: string, frame: string, seq: number, index: number, ms: number]
  /** A worker failed (uncaught error outside the bootstrap's handlers, or a failed start). */
  | ["error", id: string, message: string]
  /** A worker posted something that is not a frame (not a string, or too large); it was dropped. */
  | ["drop", id: string, what: string]
  /** A sequence ended before its item `index` (an answer that was not `null`): the rest was not sent. */
  | ["seq-stop", seq: number, index: number]
  /** The worker of a sequence's item `index` did not answer within its deadline; the sequence went on. */
  | ["seq-timeout", seq: number, index: number];

/** Largest frame, in UTF-16 units, either side forwards. */
export const MAX_FRAME_CHARS = 16 * 1024 * 1024;
