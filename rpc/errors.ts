/**
 * JSON-RPC 2.0 error codes and the {@link RpcError} class shared by the host and the client. Only
 * type-level imports from `core/`, so the client can use this module without pulling in host code.
 * @module
 */

import type { LodgeError, LodgeErrorKind } from "../core/errors.ts";

/** Every error code Lodge sends. The -327xx/-326xx ones are the specification's; -320xx are Lodge's. */
export const ErrorCode = Object.freeze({
  /** The frame is not valid JSON (or not valid UTF-8). */
  PARSE_ERROR: -32700,
  /** The frame is JSON but not a request object. */
  INVALID_REQUEST: -32600,
  /** No method of that name (own names only, never inherited ones). */
  METHOD_NOT_FOUND: -32601,
  /** The params do not match the method's schema; `data.issues` lists the paths. */
  INVALID_PARAMS: -32602,
  /** Anything unexpected; details stay in the host log. */
  INTERNAL_ERROR: -32603,
  /** A failed `test` guard, a stale write or a stale chat integrity token. */
  CONFLICT: -32000,
  /** The chat, message, character or plugin does not exist. */
  NOT_FOUND: -32001,
  /** The caller lacks the method's capability. */
  FORBIDDEN: -32002,
  /** A deadline passed. */
  TIMEOUT: -32003,
  /** A plugin died while serving the call. */
  PLUGIN_CRASHED: -32004,
  /** The target exists but cannot serve now (e.g. a closed connection). */
  UNAVAILABLE: -32005,
  /** Frame size, batch length, nesting depth or in-flight calls over the limit; `data` says which. */
  LIMIT_EXCEEDED: -32006,
});

/** The code sent for each `LodgeError` kind. */
export const kindCodes: Readonly<Record<LodgeErrorKind, number>> = Object.freeze({
  invalid: ErrorCode.INVALID_PARAMS,
  not_found: ErrorCode.NOT_FOUND,
  conflict: ErrorCode.CONFLICT,
  integrity: ErrorCode.CONFLICT,
  forbidden: ErrorCode.FORBIDDEN,
  timeout: ErrorCode.TIMEOUT,
  crashed: ErrorCode.PLUGIN_CRASHED,
  unavailable: ErrorCode.UNAVAILABLE,
});

/** A JSON-RPC error object as it travels on the wire. */
export interface RpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A JSON-RPC error: thrown by the client when a call fails, sent by the host as a response's `error`. */
export class RpcError extends Error {
  /** The JSON-RPC error code (see {@link ErrorCode}). */
  readonly code: number;
  /** Optional JSON-safe details. */
  readonly data?: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }

  /** The wire form; `data` only when present so responses match the specification's examples. */
  toJSON(): RpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /** Reads an error object received from the other side; a malformed one becomes an internal error. */
  static fromObject(value: unknown): RpcError {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const { code, message, data } = value as Record<string, unknown>;
      if (Number.isInteger(code) && typeof message === "string") {
        return new RpcError(code as number, message, data);
      }
    }
    return new RpcError(ErrorCode.INTERNAL_ERROR, "Malformed error response", { received: value });
  }
}

/**
 * Maps a domain error to its wire form. `data` keeps the error's details (e.g. `current_integrity`) and
 * adds `kind`, which tells `conflict` from `integrity` since both share -32000.
 */
export function fromLodgeError(error: LodgeError): RpcError {
  return new RpcError(kindCodes[error.kind] ?? ErrorCode.INTERNAL_ERROR, error.message, {
    ...error.data,
    kind: error.kind,
  });
}

/** -32700 as the specification words it. */
export function parseError(data?: unknown): RpcError {
  return new RpcError(ErrorCode.PARSE_ERROR, "Parse error", data);
}

/** -32600 as the specification words it. */
export function invalidRequest(data?: unknown): RpcError {
  return new RpcError(ErrorCode.INVALID_REQUEST, "Invalid Request", data);
}

/** -32601 as the specification words it. */
export function methodNotFound(): RpcError {
  return new RpcError(ErrorCode.METHOD_NOT_FOUND, "Method not found");
}

/** -32603 with nothing of the cause: the cause is logged host-side only. */
export function internalError(): RpcError {
  return new RpcError(ErrorCode.INTERNAL_ERROR, "Internal error");
}

/** Which limit a {@link limitExceeded} error reports. */
export type LimitName = "frameBytes" | "batchLength" | "depth" | "inflight" | "listeners";

/** -32006 naming the limit and its value, so a caller knows what to shrink. */
export function limitExceeded(limit: LimitName, max: number, message: string): RpcError {
  return new RpcError(ErrorCode.LIMIT_EXCEEDED, message, { limit, max });
}
