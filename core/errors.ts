/**
 * Domain errors raised by `core/`. Adapters map the `kind` to their own wire form:
 * HTTP status codes in `web/`, JSON-RPC error codes in `rpc/`.
 * @module
 */

/** What went wrong, independent of transport. */
export type LodgeErrorKind =
  | "invalid" // bad input: 400 / -32602
  | "not_found" // 404 / -32001
  | "conflict" // failed test guard or stale write: 409 / -32000
  | "integrity" // stale chat integrity token: 409 / -32000
  | "forbidden" // caller lacks the capability: 403 / -32002
  | "timeout" // a deadline passed: 504 / -32003
  | "crashed" // a plugin died while serving the call: 502 / -32004
  | "unavailable"; // the thing exists but cannot serve now: 503 / -32005

/** An error with a transport-independent kind and optional JSON-safe details. */
export class LodgeError extends Error {
  /** Transport-independent category. */
  readonly kind: LodgeErrorKind;
  /** JSON-safe details sent to the caller (e.g. `{ current_integrity }`). */
  readonly data?: Record<string, unknown>;

  constructor(kind: LodgeErrorKind, message: string, data?: Record<string, unknown>) {
    super(message);
    this.name = "LodgeError";
    this.kind = kind;
    this.data = data;
  }
}

/** Shorthand for an `invalid` error. */
export function invalid(message: string, data?: Record<string, unknown>): LodgeError {
  return new LodgeError("invalid", message, data);
}

/** Shorthand for a `not_found` error. */
export function notFound(message: string, data?: Record<string, unknown>): LodgeError {
  return new LodgeError("not_found", message, data);
}

/** Shorthand for a `conflict` error. */
export function conflict(message: string, data?: Record<string, unknown>): LodgeError {
  return new LodgeError("conflict", message, data);
}
