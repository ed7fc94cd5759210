/**
 * The Hono application: health check, token login, auth and `Host` checks, body limits, the Luker
 * `/api` routes and the `/rpc` transports.
 * @module
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Lodge } from "../core/lodge.ts";
import { handleRpcHttp } from "../rpc/http.ts";
import type { Dispatcher } from "../rpc/method.ts";
import { serveRpcSocket } from "../rpc/websocket.ts";
import { hostCheck, requireAuth, tokenLogin } from "./auth.ts";
import { errorResponse } from "./errors.ts";
import { chatCompletionsApi } from "./routes/backends.ts";
import { charactersApi } from "./routes/characters.ts";
import { chatsApi } from "./routes/chats.ts";
import { settingsApi, worldInfoApi } from "./routes/documents.ts";
import { groupsApi } from "./routes/groups.ts";
import { presetsApi } from "./routes/presets.ts";
import { secretsApi } from "./routes/secrets.ts";

/** Options of {@link createApp}. */
export interface AppOptions {
  lodge: Lodge;
  dispatcher: Dispatcher;
  token: string;
  /** Largest JSON body in bytes. Default 16 MiB. */
  maxBodyBytes?: number;
  /** The `Host` values accepted; null accepts any. Read per request (the port is known after binding). */
  allowedHosts: () => ReadonlySet<string> | null;
}

/** Builds the app. */
export function createApp(options: AppOptions): Hono {
  const { lodge, dispatcher, token } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
  const app = new Hono();
  app.onError(errorResponse);

  app.get("/healthz", (c) => c.json({ ok: true }));
  app.use("*", hostCheck(options.allowedHosts));
  app.get("/", tokenLogin(token), (c) => c.html(INDEX_HTML));

  let connections = 0;
  app.use("/rpc", requireAuth(token));
  app.post(
    "/rpc",
    (c) =>
      handleRpcHttp(dispatcher, c.req.raw, { kind: "client", connectionId: `http-${++connections}` }, {
        maxBodyBytes,
      }),
  );
  app.get("/rpc", (c) => {
    if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
      return c.json({ error: "GET /rpc expects a WebSocket upgrade" }, 426);
    }
    const { socket, response } = Deno.upgradeWebSocket(c.req.raw);
    serveRpcSocket(socket, dispatcher, {
      caller: { kind: "client", connectionId: `ws-${++connections}` },
      maxFrameBytes: maxBodyBytes,
    });
    return response;
  });

  app.use("/api/*", requireAuth(token));
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `request body larger than ${maxBodyBytes} bytes` }, 413),
    }),
  );
  app.route("/api/chats", chatsApi(lodge));
  app.route("/api/characters", charactersApi(lodge));
  app.route("/api/groups", groupsApi(lodge));
  app.route("/api/settings", settingsApi(lodge));
  app.route("/api/worldinfo", worldInfoApi(lodge));
  app.route("/api/presets", presetsApi(lodge));
  app.route("/api/secrets", secretsApi(lodge));
  app.route("/api/backends/chat-completions", chatCompletionsApi(lodge));
  app.all("/api/*", (c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));
  return app;
}

const INDEX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lodge</title></head>
<body><h1>Lodge</h1><p>The host is running. The API is at <code>/api</code> and JSON-RPC at <code>/rpc</code>.</p></body></html>`;
