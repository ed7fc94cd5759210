/**
 * A loopback host for the model-layer tests: a real `Lodge` (in-memory SQLite, first-run seed, the
 * default preset) with the model services, the real error mapping, the preset, secret and
 * chat-completion routes, and `/rpc` over HTTP and WebSocket with the event, preset, LLM, tool and
 * secret methods. A `?plugin=<id>` query stamps a plugin caller, as the sandbox transport does. Secrets live in
 * a temp data folder removed on close.
 * @module
 */

import { Hono } from "hono";
import type { ModelServices } from "../../core/llm/host.ts";
import { Lodge } from "../../core/lodge.ts";
import { seedPresets } from "../../core/presets.ts";
import { seedDefaults } from "../../core/seed.ts";
import { openSqliteStore } from "../../core/sqlite-store.ts";
import {
  createHttpClient,
  createSocketClient,
  type HttpClient,
  type SocketClient,
} from "../../rpc/client.ts";
import { createDispatcher } from "../../rpc/dispatcher.ts";
import { handleRpcHttp } from "../../rpc/http.ts";
import type { Caller } from "../../rpc/method.ts";
import { createEventMethods } from "../../rpc/methods/events.ts";
import { llmMethods } from "../../rpc/methods/llm.ts";
import { presetMethods } from "../../rpc/methods/presets.ts";
import { secretMethods } from "../../rpc/methods/secrets.ts";
import { toolMethods } from "../../rpc/methods/tools.ts";
import { serveRpcSocket } from "../../rpc/websocket.ts";
import { errorResponse } from "../../web/errors.ts";
import { chatCompletionsApi } from "../../web/routes/backends.ts";
import { presetsApi } from "../../web/routes/presets.ts";
import { secretsApi } from "../../web/routes/secrets.ts";
import { type ApiResponse, post } from "./host.ts";

/** A running host. */
export interface LlmHost {
  lodge: Lodge;
  models: ModelServices;
  /** `http://127.0.0.1:<port>` */
  url: string;
  dataDir: string;
  /** JSON POST to an `/api` route. */
  post(path: string, body: unknown): Promise<ApiResponse>;
  /** An RPC client over HTTP (a UI or tool caller). */
  rpc: HttpClient<Methods>;
  /** Opens an RPC socket, as a plugin when `plugin` is given. */
  socket(plugin?: string): Promise<SocketClient<Methods>>;
  /** Errors that became -32603 or that event listeners threw. */
  internalErrors: unknown[];
  close(): Promise<void>;
}

/** The methods the host serves. */
export const llmHostMethods = [
  ...createEventMethods(),
  ...presetMethods,
  ...llmMethods,
  ...toolMethods,
  ...secretMethods,
];
type Methods = typeof llmHostMethods;

/** Starts a host on a free port. */
export async function startLlmHost(): Promise<LlmHost> {
  const dataDir = await Deno.makeTempDir({ prefix: "lodge-llm-" });
  const internalErrors: unknown[] = [];
  const lodge = new Lodge(openSqliteStore(":memory:"), {
    onListenerError: (_event, error) => internalErrors.push(error),
    dataDir,
    llm: { offline: { tokenDelayMs: 0 } },
  });
  seedDefaults(lodge);
  const models: ModelServices = lodge;
  seedPresets(lodge.store);
  const dispatcher = createDispatcher(llmHostMethods, lodge, {
    onInternalError: (e) => internalErrors.push(e),
  });

  const app = new Hono();
  app.onError(errorResponse);
  app.route("/api/presets", presetsApi(lodge));
  app.route("/api/secrets", secretsApi(lodge));
  app.route("/api/backends/chat-completions", chatCompletionsApi(lodge));
  const sockets = new Set<WebSocket>();
  let connections = 0;
  app.all("/rpc", (c) => {
    const plugin = c.req.query("plugin");
    const caller: Caller = plugin
      ? { kind: "plugin", pluginId: plugin }
      : { kind: "client", connectionId: `c${++connections}` };
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return handleRpcHttp(dispatcher, c.req.raw, caller);
    }
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw);
    sockets.add(socket);
    socket.addEventListener("close", () => sockets.delete(socket));
    serveRpcSocket(socket, dispatcher, { caller });
    return response;
  });

  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, app.fetch);
  const url = `http://127.0.0.1:${server.addr.port}`;
  const clients: SocketClient<Methods>[] = [];
  return {
    lodge,
    models,
    url,
    dataDir,
    internalErrors,
    post: (path, body) => post(url, path, body),
    rpc: createHttpClient<Methods>(`${url}/rpc`),
    async socket(plugin) {
      const client = await createSocketClient<Methods>(`${url}/rpc${plugin ? `?plugin=${plugin}` : ""}`);
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await Promise.all(
        [...sockets].map((s) => new Promise((resolve) => (s.addEventListener("close", resolve), s.close()))),
      );
      await server.shutdown();
      lodge.close();
      await Deno.remove(dataDir, { recursive: true });
    },
  };
}

/** Collects everything written to the console while `fn` runs (and still prints nothing). */
export async function captureConsole<T>(fn: () => Promise<T>): Promise<{ result: T; output: string }> {
  const methods = ["log", "info", "warn", "error", "debug"] as const;
  const saved = methods.map((m) => console[m]);
  const lines: string[] = [];
  for (const m of methods) {
    console[m] = (...args: unknown[]) => void lines.push(args.map((a) => Deno.inspect(a)).join(" "));
  }
  try {
    const result = await fn();
    return { result, output: lines.join("\n") };
  } finally {
    methods.forEach((m, i) => (console[m] = saved[i]));
  }
}

/** Polls `check` every 10 ms for up to 2 s; fails naming `what` when it never holds. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

/** Points the live `openai` preset at a custom endpoint (the fake server), plus any further ops. */
export function useEndpoint(
  presets: ModelServices["presets"],
  url: string,
  extra: Parameters<ModelServices["presets"]["patchLive"]>[1] = [],
): ReturnType<ModelServices["presets"]["patchLive"]> {
  return presets.patchLive("openai", [
    { op: "replace", path: "/chat_completion_source", value: "custom" },
    { op: "replace", path: "/custom_url", value: url },
    ...extra,
  ]);
}
