/**
 * JSON-RPC 2.0 over the worker's message port, as seen from inside the worker: requests to the host
 * (numeric ids), answers to the host's requests (its ids are strings), and notifications both ways. Every
 * frame is a string; nothing is structured-cloned or transferred.
 * @module
 */

import { RpcError } from "../../rpc/errors.ts";
import { PartAssembler } from "./parts.ts";

/** Handles one request or notification from the host; may return a promise. */
export type Handler = (params: unknown) => unknown;

/** Answers a host request with the JSON text of its result, built without any code a plugin can replace. */
export type RawHandler = (params: unknown) => string;

// Taken when the bootstrap loads, before any plugin code runs: a plugin that replaces them later changes
// nothing here.
const { parse, stringify } = JSON;
const hasOwn = Object.hasOwn;

/** -32603: what a handler that throws a plain error answers with (its message is kept). */
const HANDLER_FAILED = -32603;

/** Turns a value into JSON text; a function anywhere inside is a caller mistake, never silently dropped. */
export function toJson(value: unknown): string {
  return stringify(value, (key, v) => {
    if (typeof v === "function") {
      throw new TypeError(`a function cannot be sent to the host${key ? ` (at "${key}")` : ""}`);
    }
    return v;
  });
}

/** The wire form of an error thrown by a handler. */
export function errorObject(error: unknown): { code: number; message: string; data?: unknown } {
  const e = error as { code?: unknown; message?: unknown; data?: unknown; name?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(error);
  if (Number.isInteger(e?.code)) {
    return e?.data === undefined
      ? { code: e!.code as number, message }
      : { code: e!.code as number, message, data: e!.data };
  }
  return { code: HANDLER_FAILED, message: typeof e?.name === "string" ? `${e.name}: ${message}` : message };
}

/** One end of the worker's JSON-RPC connection. */
export class Channel {
  #post: (frame: string) => void;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #requests: Record<string, Handler> = Object.create(null);
  #notifications: Record<string, Handler> = Object.create(null);
  #raw: Record<string, RawHandler> = Object.create(null);
  #parts = new PartAssembler((id) => this.notify("$/part", { id }));

  /** @param post sends one frame to the host (the worker's own `postMessage`, bound before plugin code runs) */
  constructor(post: (frame: string) => void) {
    this.#post = post;
  }

  /** Calls a host method; rejects with {@link RpcError} when the host answers an error. */
  request(method: string, params: unknown[]): Promise<unknown> {
    const id = this.#next++;
    const frame = toJson({ jsonrpc: "2.0", id, method, params });
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#post(frame);
    });
  }

  /** Sends a notification to the host. */
  notify(method: string, params: unknown): void {
    this.#post(toJson({ jsonrpc: "2.0", method, params }));
  }

  /** Serves a host request method. */
  onRequest(method: string, handler: Handler): void {
    this.#requests[method] = handler;
  }

  /**
   * Serves a host request whose answer must not pass through anything a plugin can reach (`toJSON`
   * hooks, replaced prototypes): the frame is put together from strings and the handler's JSON text.
   */
  onRawRequest(method: string, handler: RawHandler): void {
    this.#raw[method] = handler;
  }

  /** Serves a host notification method. */
  onNotification(method: string, handler: Handler): void {
    this.#notifications[method] = handler;
  }

  /**
   * Feeds one frame received from the host. Raw requests (the heartbeat) are answered at once; every
   * other frame goes through the {@link PartAssembler}, which holds frames behind a chat still coming in
   * parts.
   */
  receive(frame: string): void {
    let msg: Record<string, unknown>;
    try {
      msg = parse(frame);
    } catch {
      return; // the host only sends JSON; anything else is noise
    }
    const { method, id } = msg;
    if (typeof method === "string" && typeof id === "string" && hasOwn(this.#raw, method)) {
      // primitives only: JSON.stringify consults no `toJSON` for them
      this.#post(`{"jsonrpc":"2.0","id":${stringify(id)},"result":${this.#raw[method](msg.params)}}`);
      return;
    }
    this.#parts.take(msg, this.#dispatch);
  }

  #dispatch = (msg: Record<string, unknown>): void => {
    if (typeof msg.method === "string") {
      const { method, id } = msg;
      if (hasOwn(msg, "id")) void this.#answer(id as string, method, msg.params);
      else if (hasOwn(this.#notifications, method)) this.#notifications[method](msg.params);
      return;
    }
    const pending = this.#pending.get(msg.id as number);
    if (!pending) return;
    this.#pending.delete(msg.id as number);
    if (msg.error) {
      const { code, message, data } = msg.error as { code: number; message: string; data?: unknown };
      pending.reject(new RpcError(code, message, data));
    } else pending.resolve(msg.result);
  };

  async #answer(id: string, method: string, params: unknown): Promise<void> {
    let frame: string;
    try {
      if (!hasOwn(this.#requests, method)) {
        throw new RpcError(-32601, "Method not found");
      }
      const result = await this.#requests[method](params);
      frame = toJson({ jsonrpc: "2.0", id, result: result ?? null });
    } catch (error) {
      const wire = errorObject(error);
      try {
        frame = toJson({ jsonrpc: "2.0", id, error: wire });
      } catch {
        frame = stringify({ jsonrpc: "2.0", id, error: { code: wire.code, message: wire.message } });
      }
    }
    this.#post(frame);
  }
}
