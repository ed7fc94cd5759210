/**
 * JSON-RPC over a WebSocket, both ways. Frames from the client are requests for the dispatcher or
 * responses to the host's own requests; the host reaches the client through the returned {@link Peer}
 * (event delivery, calls into the client). When the socket dies every pending host request fails and
 * every `onClose` callback runs at once.
 * @module
 */

import { ErrorCode, parseError, RpcError } from "./errors.ts";
import { defaultFrameLimits, type FrameLimits, parseFrame } from "./frame.ts";
import type { Caller, Dispatcher, Peer } from "./method.ts";

/** Options of {@link serveRpcSocket}. */
export interface RpcSocketOptions extends Partial<FrameLimits> {
  /** Who the client is; stamped on every call. */
  caller: Caller;
  /** Deadline of `peer.request` when the call gives none. Default 30 s; 0 waits forever. */
  requestTimeoutMs?: number;
  /** Receives failures of `onClose` callbacks. Default: `console.error`. */
  onError?: (error: unknown) => void;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: RpcError) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Serves the protocol on an accepted socket (open or still connecting) and returns the peer for
 * host-to-client calls. The in-flight limit per connection is the dispatcher's, keyed by this peer.
 */
export function serveRpcSocket(socket: WebSocket, dispatcher: Dispatcher, options: RpcSocketOptions): Peer {
  const limits: FrameLimits = {
    maxFrameBytes: options.maxFrameBytes ?? defaultFrameLimits.maxFrameBytes,
    maxDepth: options.maxDepth ?? defaultFrameLimits.maxDepth,
  };
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const onError = options.onError ?? ((error) => console.error("rpc socket:", error));
  const pending = new Map<number, Pending>();
  const closeCallbacks: (() => void)[] = [];
  const queued: string[] = []; // frames sent before the handshake finished
  let nextId = 1;
  let closed = false;

  function send(text: string): void {
    if (closed) return;
    if (socket.readyState === WebSocket.CONNECTING) {
      queued.push(text);
      return;
    }
    try {
      socket.send(text);
    } catch {
      // closing: the close event finishes the connection
    }
  }

  function finish(): void {
    if (closed) return;
    closed = true;
    queued.length = 0;
    for (const [id, call] of pending) {
      clearTimeout(call.timer);
      pending.delete(id);
      call.reject(new RpcError(ErrorCode.UNAVAILABLE, "Connection closed"));
    }
    for (const fn of closeCallbacks.splice(0)) runCloseCallback(fn);
  }

  function runCloseCallback(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      onError(error);
    }
  }

  function settle(response: Record<string, unknown>): void {
    const call = typeof response.id === "number" ? pending.get(response.id) : undefined;
    if (!call) return; // unknown, late or duplicate answer
    pending.delete(response.id as number);
    clearTimeout(call.timer);
    if (Object.hasOwn(response, "error")) call.reject(RpcError.fromObject(response.error));
    else call.resolve(response.result);
  }

  const peer: Peer = {
    notify(method, params) {
      send(JSON.stringify({ jsonrpc: "2.0", method, params }));
    },
    request(method, params, { timeoutMs = requestTimeoutMs } = {}) {
      if (closed) return Promise.reject(new RpcError(ErrorCode.UNAVAILABLE, "Connection closed"));
      const id = nextId++;
      const frame = JSON.stringify({ jsonrpc: "2.0", id, method, params }); // throws before anything is pending
      return new Promise((resolve, reject) => {
        const timer = timeoutMs > 0
          ? setTimeout(() => {
            pending.delete(id);
            reject(new RpcError(ErrorCode.TIMEOUT, `No answer to ${method} within ${timeoutMs} ms`));
          }, timeoutMs)
          : undefined;
        pending.set(id, { resolve, reject, timer });
        send(frame);
      });
    },
    onClose(fn) {
      if (closed) runCloseCallback(fn);
      else closeCallbacks.push(fn);
    },
  };

  socket.addEventListener("open", () => {
    for (const text of queued.splice(0)) send(text);
  });
  socket.addEventListener("close", finish);
  socket.addEventListener("error", finish);
  socket.addEventListener("message", (event: MessageEvent) => {
    if (typeof event.data !== "string") {
      send(
        JSON.stringify({
          jsonrpc: "2.0",
          error: parseError({ reason: "binary frames are not supported" }),
          id: null,
        }),
      );
      return;
    }
    const text = event.data;
    const parsed = parseFrame(text, limits);
    if (parsed.ok && isResponseFrame(parsed.value)) {
      for (const response of [parsed.value].flat()) settle(response as Record<string, unknown>);
      return;
    }
    // The dispatcher parses again; only the frames that are not answers pay for that.
    dispatcher.handle(text, { caller: options.caller, peer }).then((reply) => {
      if (reply !== null) send(reply);
    });
  });
  if (socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) finish();
  return peer;
}

/** A response object, or a non-empty batch of them: what a client sends back to the host's requests. */
function isResponseFrame(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every(isResponse);
  return isResponse(value);
}

function isResponse(value: unknown): boolean {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  return !Object.hasOwn(value, "method") && Object.hasOwn(value, "id") &&
    (Object.hasOwn(value, "result") || Object.hasOwn(value, "error"));
}
