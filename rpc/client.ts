/**
 * A small typed JSON-RPC client for Lodge over HTTP and WebSocket, for Deno, Node and browsers. It uses
 * web-standard APIs only and imports the method table as a type; the only host module it loads is the
 * dependency-free `core/json.ts` (the diff that sends a listener's edits back):
 *
 * ```ts
 * import type { methods } from "./methods/mod.ts";
 * const rpc = createHttpClient<typeof methods>("http://127.0.0.1:8000/rpc", { token });
 * const count = await rpc.call("getMessageCount");
 * ```
 * @module
 */

import type { z } from "zod";
import { isObject, jsonDiff } from "../core/json.ts";
import { ErrorCode, RpcError } from "./errors.ts";
import type { MethodSpec } from "./method.ts";
import type { OpenRpcDocument } from "./openrpc.ts";
import { PeerMethod } from "./peer-methods.ts";

/** Any method table: what `createHttpClient`/`createSocketClient` are generic over. */
// deno-lint-ignore no-explicit-any
export type MethodTable = readonly MethodSpec<any, any, string>[];

/** The names a client of table `T` may call (`rpc.discover` is always there). */
export type MethodName<T extends MethodTable> = T[number]["name"] | "rpc.discover";

/** The spec named `M`; a table whose names are plain `string` (untyped) accepts any call. */
type SpecOf<T extends MethodTable, M> = string extends T[number]["name"] ? T[number]
  : Extract<T[number], { name: M }>;

/** The positional params of method `M`, as the caller writes them (zod input types). */
export type ParamsOf<T extends MethodTable, M> = M extends "rpc.discover" ? []
  : z.input<SpecOf<T, M>["params"]>;

/** What method `M` resolves to. */
export type ResultOf<T extends MethodTable, M> = M extends "rpc.discover" ? OpenRpcDocument
  : z.output<SpecOf<T, M>["result"]>;

/** Calls shared by both clients. */
export interface RpcCaller<T extends MethodTable> {
  /** Calls a method; rejects with {@link RpcError} when the host answers an error. */
  call<M extends MethodName<T>>(method: M, ...params: ParamsOf<T, M>): Promise<ResultOf<T, M>>;
  /** Sends a notification: the host runs the method and answers nothing. */
  notify<M extends MethodName<T>>(method: M, ...params: ParamsOf<T, M>): Promise<void>;
}

/** Calls collected into one HTTP request; see {@link HttpClient.batch}. */
export interface HttpBatch<T extends MethodTable> {
  /** Adds a call; its promise settles once {@link HttpBatch.send} has the answer. */
  call<M extends MethodName<T>>(method: M, ...params: ParamsOf<T, M>): Promise<ResultOf<T, M>>;
  /** Adds a notification. */
  notify<M extends MethodName<T>>(method: M, ...params: ParamsOf<T, M>): void;
  /** Posts every call as one batch. Rejects only when the request itself fails. */
  send(): Promise<void>;
}

/** The HTTP client. */
export interface HttpClient<T extends MethodTable> extends RpcCaller<T> {
  /** Starts a batch. */
  batch(): HttpBatch<T>;
}

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** Sent as `Authorization: Bearer <token>`; leave out in a browser that has the session cookie. */
  token?: string;
  /**
   * In a browser page of the host: the session's CSRF value, sent as `X-Lodge-CSRF` (cookie requests
   * are refused without it). The page has it in `<meta name="lodge-csrf">`.
   *
   * @example
   * ```ts
   * const csrf = document.querySelector('meta[name="lodge-csrf"]')?.getAttribute("content") ?? "";
   * const rpc = createHttpClient("/rpc", { csrf });
   * ```
   */
  csrf?: string;
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

type Json = Record<string, unknown>;

/** Deno's and Node's WebSocket constructor, which takes handshake headers (the DOM typing has no such form). */
type HeaderWebSocket = new (url: URL, options: { headers: Record<string, string> }) => WebSocket;
type Id = number;

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** A client that POSTs each call (or batch) to `url`. */
export function createHttpClient<T extends MethodTable = MethodTable>(
  url: string | URL,
  options: HttpClientOptions = {},
): HttpClient<T> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  let nextId = 1;

  async function post(body: unknown): Promise<unknown> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.csrf) headers["x-lodge-csrf"] = options.csrf;
    const response = await doFetch(url, { method: "POST", headers, body: JSON.stringify(body) });
    if (response.status === 204) {
      await response.body?.cancel();
      return null;
    }
    const text = await response.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw httpError(response.status, text);
    }
    // 413/415/405 carry a JSON-RPC error for the whole request
    if (!response.ok && isObject(value) && isObject(value.error)) throw RpcError.fromObject(value.error);
    if (!response.ok) throw httpError(response.status, text);
    return value;
  }

  async function call(method: string, params: unknown[]): Promise<unknown> {
    const id = nextId++;
    return answerOf(await post(request(method, params, id)));
  }

  return {
    call: (method, ...params) => call(method, params) as never,
    notify: async (method, ...params) => {
      await post(request(method, params));
    },
    batch() {
      const frames: Json[] = [];
      const waiters = new Map<Id, Waiter>();
      return {
        call: (method, ...params) => {
          const id = nextId++;
          frames.push(request(method, params, id));
          return new Promise((resolve, reject) => waiters.set(id, { resolve, reject })) as never;
        },
        notify: (method, ...params) => {
          frames.push(request(method, params));
        },
        async send() {
          let reply: unknown;
          try {
            reply = await post(frames);
          } catch (error) {
            for (const waiter of waiters.values()) waiter.reject(error);
            throw error;
          }
          // a batch rejected as a whole (too long, too large) answers one error object
          const answers = Array.isArray(reply) ? reply : reply === null ? [] : [reply];
          for (const answer of answers) {
            if (!isObject(answer)) continue;
            const waiter = typeof answer.id === "number" ? waiters.get(answer.id) : undefined;
            if (waiter) {
              waiters.delete(answer.id as Id);
              settle(waiter, answer);
            } else if (answer.id === null && isObject(answer.error)) {
              const error = RpcError.fromObject(answer.error);
              for (const other of waiters.values()) other.reject(error);
              waiters.clear();
            }
          }
          for (const waiter of waiters.values()) {
            waiter.reject(new RpcError(ErrorCode.INTERNAL_ERROR, "No answer in the batch response"));
          }
        },
      };
    },
  };
}

/** A listener registered with {@link SocketClient.on}; receives the event's arguments. */
// deno-lint-ignore no-explicit-any
export type EventListener = (...args: any[]) => unknown;

/** Handle of a subscription made with {@link SocketClient.on}. */
export interface Subscription {
  /** The id the host knows the listener by (for `eventSource.makeFirst`/`makeLast`). */
  readonly listenerId: string;
  /** Unsubscribes; false when the host had no such listener. */
  off(): Promise<boolean>;
}

/** A handler of a host-to-client method; its return value answers a request. */
export type HostCallHandler = (params: unknown) => unknown;

/** The WebSocket client. */
export interface SocketClient<T extends MethodTable> extends RpcCaller<T> {
  /**
   * Subscribes `listener` to an event. With `awaited`, the host waits for the listener (in listener
   * order) and the listener may edit the arguments in place: the edits travel back as a JSON patch that
   * the next listener sees.
   */
  on(
    eventName: string,
    listener: EventListener,
    options?: { priority?: number; awaited?: boolean },
  ): Promise<Subscription>;
  /** Answers host-to-client calls of `method` other than `event` (requests and notifications). */
  handle(method: string, handler: HostCallHandler): void;
  /** Closes the socket; resolves once it is closed. */
  close(): Promise<void>;
  /** Settles when the socket closes, for whatever reason. */
  readonly closed: Promise<void>;
}

/** Options of {@link createSocketClient}. */
export interface SocketClientOptions {
  /**
   * Sent as `Authorization: Bearer <token>` in the handshake (Deno and Node only: browsers cannot set
   * WebSocket headers and authenticate with the session cookie, so leave it out there).
   */
  token?: string;
  /** Receives errors thrown by plain (not awaited) listeners and handlers of notifications. */
  onError?: (error: unknown) => void;
}

/** Connects to `url` (`ws(s)://` or `http(s)://`) and resolves once the socket is open. */
export function createSocketClient<T extends MethodTable = MethodTable>(
  url: string | URL,
  options: SocketClientOptions = {},
): Promise<SocketClient<T>> {
  const target = new URL(url);
  target.protocol = target.protocol.replace(/^http/, "ws");
  const socket = options.token
    ? new (WebSocket as unknown as HeaderWebSocket)(target, {
      headers: { authorization: `Bearer ${options.token}` },
    })
    : new WebSocket(target);
  const onError = options.onError ?? ((error) => console.error("rpc client:", error));
  const pending = new Map<Id, Waiter>();
  const listeners = new Map<string, EventListener>();
  const handlers = new Map<string, HostCallHandler>();
  let nextId = 1;
  let nextListener = 1;
  let isClosed = false;

  const closed = new Promise<void>((resolve) => {
    socket.addEventListener("close", () => {
      isClosed = true;
      for (const waiter of pending.values()) {
        waiter.reject(new RpcError(ErrorCode.UNAVAILABLE, "Connection closed"));
      }
      pending.clear();
      resolve();
    });
  });

  function send(frame: Json): void {
    if (isClosed || socket.readyState !== WebSocket.OPEN) {
      throw new RpcError(ErrorCode.UNAVAILABLE, "Connection closed");
    }
    socket.send(JSON.stringify(frame));
  }

  function call(method: string, params: unknown[]): Promise<unknown> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      send(request(method, params, id));
      pending.set(id, { resolve, reject });
    });
  }

  async function answerHost(id: unknown, run: () => unknown): Promise<void> {
    let reply: Json;
    try {
      reply = { jsonrpc: "2.0", result: (await run()) ?? null, id };
    } catch (error) {
      const wire = error instanceof RpcError
        ? error.toJSON()
        : { code: ErrorCode.INTERNAL_ERROR, message: error instanceof Error ? error.message : String(error) };
      reply = { jsonrpc: "2.0", error: wire, id };
    }
    if (isClosed) return;
    try {
      socket.send(JSON.stringify(reply));
    } catch (error) {
      onError(error); // closing under us, or a result that does not serialize
    }
  }

  /** Runs an event listener; for a request, answers with the patch of what it changed. */
  async function deliverEvent(params: unknown, isRequest: boolean): Promise<unknown> {
    const { listenerId, args } = isObject(params) ? params : {};
    const listener = typeof listenerId === "string" ? listeners.get(listenerId) : undefined;
    if (!listener || !Array.isArray(args)) return null;
    if (!isRequest) return await listener(...args);
    const before = JSON.parse(JSON.stringify(args));
    await listener(...args);
    const patch = jsonDiff(before, JSON.parse(JSON.stringify(args)));
    return patch.length > 0 ? { patch } : null;
  }

  function onHostCall(frame: Json): void {
    const isRequest = Object.hasOwn(frame, "id");
    const method = frame.method as string;
    const handler = method === PeerMethod.EVENT
      ? (p: unknown) => deliverEvent(p, isRequest)
      : handlers.get(method);
    if (isRequest) {
      answerHost(frame.id, () => {
        if (!handler) throw new RpcError(ErrorCode.METHOD_NOT_FOUND, "Method not found");
        return handler(frame.params);
      });
    } else if (handler) {
      Promise.resolve().then(() => handler(frame.params)).catch(onError);
    }
  }

  socket.addEventListener("message", (event: MessageEvent) => {
    let value: unknown;
    try {
      value = JSON.parse(String(event.data));
    } catch {
      return; // the host only sends JSON; nothing to answer a garbled frame with
    }
    for (const frame of Array.isArray(value) ? value : [value]) {
      if (!isObject(frame)) continue;
      if (typeof frame.method === "string") onHostCall(frame);
      else if (typeof frame.id === "number" && pending.has(frame.id)) {
        const waiter = pending.get(frame.id)!;
        pending.delete(frame.id);
        settle(waiter, frame);
      }
    }
  });

  const client: SocketClient<T> = {
    call: (method, ...params) => call(method, params) as never,
    notify: (method, ...params) => {
      try {
        send(request(method, params));
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    async on(eventName, listener, { priority, awaited } = {}) {
      const listenerId = `l${nextListener++}`;
      listeners.set(listenerId, listener); // before subscribing: a replayed event may arrive first
      try {
        await call("eventSource.on", [eventName, { listenerId, priority, awaited }]);
      } catch (error) {
        listeners.delete(listenerId);
        throw error;
      }
      return {
        listenerId,
        async off() {
          listeners.delete(listenerId);
          return await call("eventSource.off", [eventName, { listenerId }]) as boolean;
        },
      };
    },
    handle(method, handler) {
      handlers.set(method, handler);
    },
    async close() {
      socket.close();
      await closed;
    },
    closed,
  };

  return new Promise((resolve, reject) => {
    const fail = () => reject(new RpcError(ErrorCode.UNAVAILABLE, `Could not connect to ${target.href}`));
    // a socket may close before it opens without an error event (a proxy or an intercepting client
    // dropping it): that is a failed connect too, or a reconnecting caller would wait forever
    socket.addEventListener("error", fail, { once: true });
    socket.addEventListener("close", fail, { once: true });
    socket.addEventListener("open", () => {
      socket.removeEventListener("error", fail);
      socket.removeEventListener("close", fail);
      resolve(client);
    }, { once: true });
  });
}

function request(method: string, params: unknown[], id?: Id): Json {
  return id === undefined ? { jsonrpc: "2.0", method, params } : { jsonrpc: "2.0", method, params, id };
}

function answerOf(reply: unknown): unknown {
  if (!isObject(reply)) throw new RpcError(ErrorCode.INTERNAL_ERROR, "Malformed response");
  if (isObject(reply.error)) throw RpcError.fromObject(reply.error);
  return reply.result;
}

function settle(waiter: Waiter, reply: Json): void {
  try {
    waiter.resolve(answerOf(reply));
  } catch (error) {
    waiter.reject(error);
  }
}

function httpError(status: number, body: string): RpcError {
  const code = status === 401 || status === 403 ? ErrorCode.FORBIDDEN : ErrorCode.UNAVAILABLE;
  return new RpcError(code, `HTTP ${status}`, { status, body: body.slice(0, 200) });
}
