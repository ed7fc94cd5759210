/**
 * Every door into a REAL host at once, for tests that must see the same behaviour whichever way a change
 * comes in: the `/api` routes (bearer token), JSON-RPC over HTTP, JSON-RPC over a WebSocket, and a plugin
 * running in a real sandbox worker (its `getContext()` calls and its `fetch("/api/...")`). The plugin (`door`) and the socket both record every event of the
 * host's table, so a test can ask what each of them saw.
 *
 * ```ts
 * await using doors = await openDoors();
 * await doors.host.post("/api/settings/patch", { operations: [{ op: "add", path: "/x", value: 1 }] });
 * assert.ok((await doors.pluginSaw()).some((e) => e.event === "settings_updated"));
 * assert.ok(doors.socketSaw().some((e) => e.event === "settings_updated"));
 * ```
 * @module
 */

import { eventTypes } from "../../core/event-types.ts";
import {
  createHttpClient,
  createSocketClient,
  type HttpClient,
  type SocketClient,
} from "../../rpc/client.ts";
import type { methods } from "../../rpc/methods/mod.ts";
import { type ApiResponse, post, startTestHost, type TestHost } from "./host.ts";
import { openRawSocket } from "./raw-socket.ts";
import { writePluginFolder } from "./sandbox-harness.ts";

type Table = typeof methods;

/** One event as an observer saw it. */
export interface SeenEvent {
  event: string;
  args: unknown[];
}

/** What a call made by the plugin gave: its result, or the error it threw (`code` from the host). */
export interface PluginOutcome {
  result?: unknown;
  error?: { code: number | null; message: string };
}

/** The plugin's synchronous view of the host (its mirror), read inside the worker. */
export interface PluginView {
  chatLength: number;
  chat: Record<string, unknown>[];
  chat_metadata: Record<string, unknown>;
  characters: string[];
  groups: string[];
  name1: string;
  chatId: string | null;
  online_status: string;
}

/** The open doors of one host. Dispose to close everything. */
export interface Doors extends AsyncDisposable {
  host: TestHost;
  /** JSON-RPC over HTTP with the token. */
  http: HttpClient<Table>;
  /** JSON-RPC over a WebSocket with the token; it listens (awaited) to every event of the table. */
  ws: SocketClient<Table>;
  /** Calls a `getContext()` member from inside the plugin's worker (`path` like `addMessages`). */
  plugin(path: string, ...args: unknown[]): Promise<PluginOutcome>;
  /** POSTs a raw JSON text from inside the plugin's worker with its `fetch("/api/...")`. */
  pluginFetch(path: string, body: string): Promise<{ status: number; body: Record<string, unknown> }>;
  /** The plugin's mirror as it is now. */
  pluginView(): Promise<PluginView>;
  /** Events the plugin saw since the last call (and forgets them). */
  pluginSaw(): Promise<SeenEvent[]>;
  /** Events the socket saw since the last call (and forgets them). */
  socketSaw(): SeenEvent[];
  /** Sends a raw text frame on a second socket (no listeners on it) and resolves with the answer. */
  wsRaw(frame: string): Promise<unknown>;
  /** POSTs a raw text body to a path with the token (for JSON that `JSON.stringify` cannot write). */
  raw(path: string, body: string): Promise<ApiResponse>;
  close(): Promise<void>;
}

/** The probe event the plugin answers; not in the host's table, so no host code emits it. */
const PROBE = "door_probe";

const PLUGIN = `
const ctx = Luker.getContext();
let seen = [];
for (const name of new Set(Object.values(ctx.eventTypes))) {
  ctx.eventSource.on(name, (...args) => { seen.push({ event: name, args: JSON.parse(JSON.stringify(args)) }); });
}
ctx.eventSource.on(${JSON.stringify(PROBE)}, async (payload) => {
  if (payload.do === "seen") {
    payload.result = seen;
    seen = [];
    return;
  }
  if (payload.do === "view") {
    payload.result = {
      chatLength: ctx.chat.length,
      chat: JSON.parse(JSON.stringify(ctx.chat)),
      chat_metadata: JSON.parse(JSON.stringify(ctx.chat_metadata)),
      characters: ctx.characters.map((c) => c.avatar),
      groups: ctx.groups.map((g) => g.id),
      name1: ctx.name1,
      chatId: ctx.chatId ?? null,
      online_status: ctx.online_status,
    };
    return;
  }
  if (payload.do === "fetch") {
    const res = await fetch(payload.path, { method: "POST", headers: { "content-type": "application/json" }, body: payload.body });
    payload.result = { status: res.status, body: await res.json() };
    return;
  }
  const parts = payload.path.split(".");
  const fn = parts.reduce((o, k) => o?.[k], ctx);
  try {
    payload.result = (await fn(...payload.args)) ?? null;
  } catch (error) {
    payload.error = { code: Number.isInteger(error?.code) ? error.code : null, message: String(error?.message) };
  }
});
console.log("door ready");
`;

/** Starts a host with the `door` plugin, waits until the plugin runs, and connects the socket. */
export async function openDoors(): Promise<Doors> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-doors-" });
  await writePluginFolder(dataDir, { id: "door", files: { "index.js": PLUGIN } });
  const host = await startTestHost({ dataDir });
  const http = createHttpClient<Table>(`${host.url}/rpc`, { token: host.token });
  const ws = await createSocketClient<Table>(`${host.url}/rpc`, { token: host.token });
  const rawSocket = await openRawSocket(`${host.url.replace(/^http/, "ws")}/rpc`, host.token);
  let socketSeen: SeenEvent[] = [];
  for (const name of new Set(Object.values(eventTypes))) {
    await ws.on(name, (...args) => void socketSeen.push({ event: name, args }), { awaited: true });
  }

  const probe = async (payload: Record<string, unknown>) => {
    const [after] = await ws.call("eventSource.emit", PROBE, payload) as [Record<string, unknown>];
    return after;
  };
  // The plugin starts after the host answers; wait until its probe listener answers.
  const deadline = Date.now() + 20_000;
  while (!("result" in await probe({ do: "seen" }))) {
    if (Date.now() > deadline) throw new Error("the door plugin did not start");
    await new Promise((r) => setTimeout(r, 50));
  }

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ws.close();
    await rawSocket.close();
    await host.close();
    await Deno.remove(dataDir, { recursive: true });
  };
  return {
    host,
    http,
    ws,
    async plugin(path, ...args) {
      const after = await probe({ path, args });
      return after.error ? { error: after.error as PluginOutcome["error"] } : { result: after.result };
    },
    async pluginFetch(path, body) {
      return (await probe({ do: "fetch", path, body })).result as {
        status: number;
        body: Record<string, unknown>;
      };
    },
    async pluginView() {
      return (await probe({ do: "view" })).result as PluginView;
    },
    async pluginSaw() {
      return (await probe({ do: "seen" })).result as SeenEvent[];
    },
    socketSaw() {
      const out = socketSeen;
      socketSeen = [];
      return out;
    },
    wsRaw(frame) {
      rawSocket.send(frame);
      return rawSocket.next();
    },
    raw: (path, body) => post(host.url, path, null, { token: host.token, rawBody: body }),
    close,
    [Symbol.asyncDispose]: close,
  };
}
