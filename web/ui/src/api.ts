/**
 * Talking to the host from the page: `/api` routes over `fetch` (same-origin, the session cookie, the
 * CSRF header from the page's meta tag) and JSON-RPC over one WebSocket that reconnects by itself and
 * re-runs every registered "on connect" step (event subscriptions, the mirror) so the page resyncs.
 * @module
 */

import { signal } from "@preact/signals";
import {
  createSocketClient,
  type MethodName,
  type ParamsOf,
  type ResultOf,
  type SocketClient,
} from "../../../rpc/client.ts";
import type { methods } from "../../../rpc/methods/mod.ts";

type Methods = typeof methods;
/** The typed socket client of the host's method table. */
export type Rpc = SocketClient<Methods>;

const csrf = document.querySelector<HTMLMetaElement>('meta[name="lodge-csrf"]')?.content ?? "";

/** Headers every state-changing request carries. */
function csrfHeaders(): Record<string, string> {
  return csrf ? { "x-lodge-csrf": csrf } : {};
}

/** An error answered by the host, with its HTTP status and the answer's JSON body (when it was JSON). */
export class HostError extends Error {
  constructor(message: string, readonly status: number, readonly body?: Record<string, unknown>) {
    super(message);
  }
}

async function failure(response: Response): Promise<HostError> {
  const text = await response.text();
  let message = `${response.status} ${response.statusText}`;
  let data: Record<string, unknown> | undefined;
  try {
    const body = JSON.parse(text);
    if (body && typeof body === "object") data = body;
    // a domain error names its kind in `error` and says what went wrong in `message`
    if (typeof body?.message === "string") message = body.message;
    else if (typeof body?.error === "string") message = body.error;
    else if (typeof body?.error?.message === "string") message = body.error.message;
  } catch {
    if (text) message = text.slice(0, 200);
  }
  return new HostError(message, response.status, data);
}

/** POSTs JSON to an `/api` route and answers the parsed reply. */
export async function api<T = unknown>(path: string, body: unknown = {}): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...csrfHeaders() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  return await response.json() as T;
}

/** POSTs JSON and answers the reply body as a Blob (file downloads). */
export async function apiBlob(path: string, body: unknown): Promise<Blob> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...csrfHeaders() },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  return await response.blob();
}

/** POSTs a multipart form (uploads). */
export async function upload<T = unknown>(path: string, form: FormData): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    headers: csrfHeaders(),
    body: form,
    credentials: "same-origin",
  });
  if (!response.ok) throw await failure(response);
  return await response.json() as T;
}

/** Saves a Blob as a file through a temporary link. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The socket's state, for the status badge. */
export const connection = signal<"connecting" | "online" | "offline">("connecting");

let client: Rpc | null = null;
let waiters: ((c: Rpc) => void)[] = [];
const onConnect: ((c: Rpc) => Promise<void> | void)[] = [];
const handlers = new Map<string, (params: unknown) => unknown>();

/** Registers a step run on every (re)connect, in registration order: subscriptions and resync. */
export function whenConnected(step: (c: Rpc) => Promise<void> | void): void {
  onConnect.push(step);
  if (client) Promise.resolve(step(client)).catch(reportError);
}

/** Answers host-to-client calls of `method` on every connection. */
export function handleHost(method: string, handler: (params: unknown) => unknown): void {
  handlers.set(method, handler);
  client?.handle(method, handler);
}

/**
 * Listens to a host event on every connection (the subscription is renewed after a reconnect).
 * @example
 * ```ts
 * onHostEvent(eventTypes.GENERATION_ENDED, () => (generating.value = false));
 * ```
 */
export function onHostEvent(event: string, listener: (...args: unknown[]) => void): void {
  whenConnected(async (c) => {
    await c.on(event, listener);
  });
}

/** The open client, waiting for the (re)connection when there is none. */
function ready(): Promise<Rpc> {
  return client ? Promise.resolve(client) : new Promise((resolve) => waiters.push(resolve));
}

/** Calls a JSON-RPC method over the socket, waiting for the connection if it is down. */
export async function call<M extends MethodName<Methods>>(
  method: M,
  ...params: ParamsOf<Methods, M>
): Promise<ResultOf<Methods, M>> {
  const c = await ready();
  return await c.call(method, ...params);
}

let reportError: (error: unknown) => void = (error) => console.error(error);

/** Where failures of background steps go (the toast list). */
export function setErrorReporter(fn: (error: unknown) => void): void {
  reportError = fn;
}

/** Connects, and reconnects with backoff whenever the socket closes. */
export async function connect(): Promise<void> {
  let delay = 250;
  while (true) {
    connection.value = "connecting";
    try {
      const c = await createSocketClient<Methods>(new URL("/rpc", location.href), { onError: reportError });
      for (const [method, handler] of handlers) c.handle(method, handler);
      client = c;
      for (const step of onConnect) await step(c);
      connection.value = "online";
      delay = 250;
      const pending = waiters;
      waiters = [];
      for (const w of pending) w(c);
      await c.closed;
    } catch (error) {
      if (client === null) console.debug("connect failed", error);
    }
    client = null;
    connection.value = "offline";
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}
